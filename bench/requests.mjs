// Keep-alive requests per second through Fastify: plain Fastify against the
// @ja4guard/fastify plugin in several setups. Servers run in child
// processes; autocannon runs in this one. Rounds alternate between modes.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';
import { median } from './lib/stats.mjs';

const SERVER = new URL('./servers/fastify-server.mjs', import.meta.url);

async function startServer(mode, certificate) {
  const child = fork(SERVER, [mode], {
    env: { ...process.env, BENCH_KEY: certificate.key, BENCH_CERT: certificate.cert },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = await once(child, 'message');
  return {
    port: message.port,
    async stop() {
      child.send('stop');
      await once(child, 'exit');
    },
  };
}

async function requestsPerSecond(port, durationSeconds, connections) {
  const result = await autocannon({
    url: `https://127.0.0.1:${port}/`,
    connections,
    duration: durationSeconds,
    headers: { 'user-agent': 'ja4guard-bench' },
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`benchmark requests failed: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return result.requests.average;
}

/** Returns the median requests per second of each mode. */
export async function benchRequests(certificate, { modes, rounds, durationSeconds, connections }) {
  const servers = {};
  for (const mode of modes) servers[mode] = await startServer(mode, certificate);
  const samples = Object.fromEntries(modes.map((mode) => [mode, []]));
  try {
    for (const mode of modes) await requestsPerSecond(servers[mode].port, 1, connections);
    for (let round = 0; round < rounds; round++) {
      for (const mode of modes) {
        samples[mode].push(
          await requestsPerSecond(servers[mode].port, durationSeconds, connections),
        );
      }
    }
  } finally {
    for (const mode of modes) await servers[mode].stop();
  }
  return Object.fromEntries(modes.map((mode) => [mode, median(samples[mode])]));
}
