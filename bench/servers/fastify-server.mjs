// Fastify benchmark server, one mode per process:
//   plain      Fastify over https, no plugin
//   capture    with @ja4guard/fastify, fingerprints only
//   rules      with five in-memory rules
//   blocklist  the five rules plus 100,000 blocklist entries
//   redis      the five rules on the Redis store (127.0.0.1:6379)

import { ja4guard } from '@ja4guard/fastify';
import { redisStore } from '@ja4guard/guard';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const mode = process.argv[2];
const app = Fastify({ https: { key: process.env.BENCH_KEY, cert: process.env.BENCH_CERT } });

function hexJa4(index) {
  const hash = index.toString(16).padStart(12, '0');
  return `t13d1516h2_${hash}_${hash}`;
}

/** Five rules of the kinds users write; none of them stops the benchmark's client. */
function fiveRules() {
  return [
    {
      name: 'known-bots',
      match: { ja4: Array.from({ length: 1_000 }, (_, i) => hexJa4(i)) },
      action: 'block',
    },
    { name: 'scanner-pattern', match: { ja4: 't10*_*_*' }, action: 'block' },
    { name: 'health', match: { path: '/health' }, action: 'allow' },
    { name: 'curl-watch', match: { userAgent: 'curl/' }, action: 'log' },
    {
      name: 'per-client',
      action: 'rateLimit',
      rateLimit: { points: 1_000_000_000, duration: 60, key: 'ja4+ip' },
    },
  ];
}

let redis;
if (mode === 'rules' || mode === 'blocklist') {
  await app.register(ja4guard, { rules: fiveRules() });
} else if (mode === 'redis') {
  redis = new Redis({
    host: '127.0.0.1',
    port: 6379,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  await new Promise((resolve) => redis.once('ready', resolve));
  await app.register(ja4guard, {
    rules: fiveRules(),
    store: redisStore(redis),
    keyPrefix: `ja4guard-bench-${process.pid}:`,
  });
} else if (mode === 'capture') {
  await app.register(ja4guard);
} else if (mode !== 'plain') {
  throw new Error(`unknown server mode ${mode}`);
}

app.get('/', async () => ({ ok: true }));
await app.ready();

if (mode === 'blocklist') {
  const blocklist = app.ja4guard.guard.blocklist;
  for (let i = 0; i < 100_000; i++) await blocklist.add(hexJa4(1_000_000 + i));
}

await app.listen({ port: 0, host: '127.0.0.1' });
process.send({ port: app.server.address().port });

process.on('message', async (message) => {
  if (message === 'cpu') {
    const usage = process.cpuUsage();
    process.send({ cpuMicros: usage.user + usage.system });
  } else if (message === 'stop') {
    await app.close();
    redis?.disconnect();
    process.exit(0);
  }
});
