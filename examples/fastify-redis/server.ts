import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { loadOrCreateCertificate } from '../demo/certificate.js';
import { buildInstance } from './app.js';
import { connectRedis, waitForRedis } from './redis.js';

// Two instances in one process stand for two servers: each has its own
// Redis connection and its own guard, and they share state only through Redis.
const instances = [
  { name: 'a', port: readPort('PORT_A', 8443) },
  { name: 'b', port: readPort('PORT_B', 8444) },
];
const host = process.env.HOST ?? '127.0.0.1';
const certificateDirectory =
  process.env.JA4GUARD_CERT_DIR ?? fileURLToPath(new URL('../../.certs/', import.meta.url));
const certificate = await loadOrCreateCertificate(certificateDirectory);

const clients: Redis[] = [];
const apps: FastifyInstance[] = [];
try {
  for (const instance of instances) {
    const redis = connectRedis();
    clients.push(redis);
    await waitForRedis(redis);
    const app = await buildInstance({ name: instance.name, certificate, redis });
    apps.push(app);
    await app.listen({ port: instance.port, host });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : instance.port;
    console.log(`fastify-redis instance ${instance.name} listening on https://${host}:${port}/`);
  }
} catch (error) {
  console.error(`Could not start: ${(error as Error).message}`);
  await stop(1);
}
console.log('Ban a JA4 through one instance and request the other; see README.md.');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void stop(0);
  });
}

async function stop(code: number): Promise<never> {
  await Promise.all(apps.map((app) => app.close()));
  for (const client of clients) client.disconnect();
  process.exit(code);
}

function readPort(name: string, fallback: number): number {
  const port = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`Invalid ${name} ${process.env[name]}: expected an integer from 0 to 65535.`);
    process.exit(2);
  }
  return port;
}
