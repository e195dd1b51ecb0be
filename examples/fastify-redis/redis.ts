import { Redis } from 'ioredis';

/**
 * Connects to REDIS_URL (default redis://127.0.0.1:6379) with the settings
 * the guard requires: no offline queue, so no command waits for a reconnect.
 */
export function connectRedis(): Redis {
  const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  client.on('error', (error) => {
    console.error(`Redis: ${error.message}`);
  });
  return client;
}

/** Resolves once the client is connected, or rejects after `timeoutMs`. */
export function waitForRedis(client: Redis, timeoutMs = 5_000): Promise<void> {
  if (client.status === 'ready') {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `Redis at ${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'} did not respond within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
