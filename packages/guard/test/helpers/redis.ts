import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

/** Availability of a Redis server, with the reason when it is unavailable. */
export interface RedisAvailability {
  readonly available: boolean;
  /** Why Redis tests are skipped; empty when available. */
  readonly reason: string;
}

/** Port of the shared Redis on this machine. */
export const SHARED_REDIS_PORT = 6379;

/**
 * Pings Redis on 127.0.0.1. When it does not reply, Redis tests may skip
 * outside CI, but under CI (`process.env.CI` set) this throws so the run fails.
 */
export async function checkRedis(port = SHARED_REDIS_PORT): Promise<RedisAvailability> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return { available: true, reason: '' };
  } catch (error) {
    const reason = `Redis on 127.0.0.1:${port} did not reply: ${(error as Error).message}`;
    if (process.env.CI) {
      throw new Error(`${reason}. CI must run the Redis tests; start Redis before the tests.`);
    }
    return { available: false, reason };
  } finally {
    client.disconnect();
  }
}

/** Returns a key prefix unique to this call, so parallel runs and old keys never collide. */
export function uniquePrefix(): string {
  return `ja4guard-test:${process.pid}-${randomUUID().slice(0, 8)}:`;
}

/** Creates a client with the settings the guard requires: no offline queue, one retry, fast reconnect. */
export function createClient(port = SHARED_REDIS_PORT, overrides: RedisOptions = {}): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 50, 200),
    ...overrides,
  });
  client.on('error', () => {});
  return client;
}

/** Waits until the client is connected, up to `timeoutMs`. */
export async function waitUntilReady(client: Redis, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') {
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Redis client not ready after ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Deletes every key under `prefix`, in at most 1000 SCAN rounds. */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  for (let round = 0; round < 1000; round++) {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) {
      await client.del(...keys);
    }
    cursor = next;
    if (cursor === '0') {
      return;
    }
  }
}
