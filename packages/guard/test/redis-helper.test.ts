import { afterEach, describe, expect, test, vi } from 'vitest';
import { checkRedis } from './helpers/redis.js';
import { freePort } from './helpers/redis-server.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Redis availability check', () => {
  test('fails under CI without Redis', async () => {
    vi.stubEnv('CI', 'true');
    const port = await freePort();
    await expect(checkRedis(port)).rejects.toThrow(/CI must run the Redis tests/);
  });

  test('skips outside CI without Redis', async () => {
    vi.stubEnv('CI', '');
    const port = await freePort();
    const result = await checkRedis(port);
    expect(result.available).toBe(false);
    expect(result.reason).toContain(`127.0.0.1:${port}`);
  });
});
