import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createGuard, type Guard, type GuardOptions, redisStore } from '../src/index.js';
import {
  CHROME_JA4,
  CURL_JA4,
  context,
  fingerprint,
  recordingLogger,
  waitFor,
} from './helpers/context.js';
import {
  checkRedis,
  createClient,
  deleteKeys,
  uniquePrefix,
  waitUntilReady,
} from './helpers/redis.js';

const redis = await checkRedis();

describe.skipIf(!redis.available)(
  `Redis store${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    let admin: Redis;
    let prefix: string;
    const clients: Redis[] = [];
    const guards: Guard[] = [];

    async function redisGuard(options: GuardOptions = {}): Promise<Guard> {
      const client = createClient();
      clients.push(client);
      await waitUntilReady(client);
      const guard = createGuard({ store: redisStore(client), keyPrefix: prefix, ...options });
      guards.push(guard);
      await guard.ready();
      return guard;
    }

    beforeAll(async () => {
      admin = createClient();
      await waitUntilReady(admin);
    });

    beforeEach(() => {
      prefix = uniquePrefix();
    });

    afterEach(async () => {
      await Promise.all(guards.splice(0).map((guard) => guard.close()));
      for (const client of clients.splice(0)) {
        client.disconnect();
      }
      await deleteKeys(admin, prefix);
    });

    afterAll(async () => {
      await admin.quit();
    });

    test('limit shared by instances', async () => {
      const rules: GuardOptions['rules'] = [
        { name: 'api', action: 'rateLimit', rateLimit: { points: 3, duration: 60 } },
      ];
      const first = await redisGuard({ rules });
      const second = await redisGuard({ rules });

      expect((await first.check(context())).remaining).toBe(2);
      expect((await second.check(context())).remaining).toBe(1);
      expect((await first.check(context())).remaining).toBe(0);
      const limited = await second.check(context());
      expect(limited.action).toBe('limit');
      expect(limited.retryAfterMs).toBeGreaterThan(58_000);

      const stored = await admin.get(`${prefix}rl:api:${CHROME_JA4}|203.0.113.7`);
      expect(Number(stored)).toBe(4);
    });

    test('blocked key rejected in memory', async () => {
      const guard = await redisGuard({
        rules: [{ name: 'api', action: 'rateLimit', rateLimit: { points: 1, duration: 60 } }],
      });
      await guard.check(context());
      expect((await guard.check(context())).action).toBe('limit');

      const cached = guard.evaluate(context());
      expect(cached).not.toBeInstanceOf(Promise);
      expect((cached as Awaited<typeof cached>).action).toBe('limit');
      expect(Number(await admin.get(`${prefix}rl:api:${CHROME_JA4}|203.0.113.7`))).toBe(2);
    });

    test('ban reaches other instance', async () => {
      const rules: GuardOptions['rules'] = [
        {
          name: 'scraper',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 60, ban: { after: 1, ttlSeconds: 60 } },
        },
      ];
      const first = await redisGuard({ rules });
      const second = await redisGuard({ rules });
      const other = context({ ip: '198.51.100.5' });

      await first.check(other);
      const excess = await first.check(other);
      expect(excess.ban).toEqual({ value: `${CHROME_JA4}|198.51.100.5`, ttlSeconds: 60 });

      const started = Date.now();
      const blocked = await waitFor(
        async () => (await second.check(other)).reason === 'blocklist',
        1000,
        10,
      );
      expect(blocked).toBe(true);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(
        await admin.hexists(`${prefix}{blocklist}:entries`, `${CHROME_JA4}|198.51.100.5`),
      ).toBe(1);
    });

    test('add and remove propagate', async () => {
      const first = await redisGuard();
      const second = await redisGuard();

      await first.blocklist.add('t13d*_8daaf6152771_*', { reason: 'manual' });
      expect(await waitFor(() => second.blocklist.has('t13d*_8daaf6152771_*'), 1000, 10)).toBe(
        true,
      );
      expect((await second.check(context())).action).toBe('block');
      expect(second.blocklist.list()[0]?.reason).toBe('manual');

      expect(await first.blocklist.remove('t13d*_8daaf6152771_*')).toBe(true);
      expect(
        await waitFor(async () => (await second.check(context())).action === 'pass', 1000, 10),
      ).toBe(true);
      expect(await admin.hlen(`${prefix}{blocklist}:entries`)).toBe(0);
    });

    test('expiry on every instance', async () => {
      const first = await redisGuard();
      const second = await redisGuard();

      await first.blocklist.add(CURL_JA4, { ttlSeconds: 1 });
      const curl = context({ fingerprint: fingerprint({ ja4: CURL_JA4 }) });
      expect(
        await waitFor(async () => (await second.check(curl)).action === 'block', 1000, 10),
      ).toBe(true);

      const expired = Date.now() + 1000;
      expect(
        await waitFor(async () => (await second.check(curl)).action === 'pass', 2000, 10),
      ).toBe(true);
      expect(Date.now() - expired).toBeLessThan(1000);
      expect((await first.check(curl)).action).toBe('pass');

      await first.blocklist.sync();
      expect(await admin.hexists(`${prefix}{blocklist}:entries`, CURL_JA4)).toBe(0);
      expect(await admin.zcard(`${prefix}{blocklist}:expiry`)).toBe(0);
    });

    test('new instance loads entries', async () => {
      const first = await redisGuard();
      await first.blocklist.add({ ja4: CHROME_JA4, ip: '203.0.113.7' });
      await first.blocklist.add(CURL_JA4, { ttlSeconds: 600 });

      const late = await redisGuard();
      expect(late.blocklist.has(`${CHROME_JA4}|203.0.113.7`)).toBe(true);
      expect(late.blocklist.has(CURL_JA4)).toBe(true);
      expect((await late.check(context())).action).toBe('block');
    });

    test('periodic sync repairs missed change', async () => {
      const guard = await redisGuard({ blocklistSyncIntervalMs: 100 });
      // Written behind the guard's back: no pub/sub message, only the version changes.
      await admin
        .multi()
        .hset(
          `${prefix}{blocklist}:entries`,
          CURL_JA4,
          JSON.stringify({ reason: 'direct', addedAt: Date.now(), expiresAt: null }),
        )
        .incr(`${prefix}{blocklist}:version`)
        .exec();
      expect(await waitFor(() => guard.blocklist.has(CURL_JA4), 1000, 10)).toBe(true);

      await admin
        .multi()
        .hdel(`${prefix}{blocklist}:entries`, CURL_JA4)
        .incr(`${prefix}{blocklist}:version`)
        .exec();
      expect(await waitFor(() => !guard.blocklist.has(CURL_JA4), 1000, 10)).toBe(true);
    });

    test('malformed entries are skipped', async () => {
      const logger = recordingLogger();
      await admin.hset(
        `${prefix}{blocklist}:entries`,
        'not-a-ja4',
        JSON.stringify({ reason: null, addedAt: 1, expiresAt: null }),
      );
      await admin.hset(`${prefix}{blocklist}:entries`, CURL_JA4, 'not json');
      await admin.hset(
        `${prefix}{blocklist}:entries`,
        CHROME_JA4,
        JSON.stringify({ reason: null, addedAt: 1, expiresAt: null }),
      );

      const guard = await redisGuard({ logger });
      expect(guard.blocklist.size).toBe(1);
      expect(guard.blocklist.has(CHROME_JA4)).toBe(true);
      const errors = logger.calls.filter((call) => call.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.object).toMatchObject({ invalid: 2 });
    });

    test('malformed message is ignored', async () => {
      const logger = recordingLogger();
      const guard = await redisGuard({ logger });
      await admin.publish(`${prefix}blocklist:changes`, '{"op":"add"');
      await guard.blocklist.add(CHROME_JA4);
      const other = await redisGuard();
      expect(await waitFor(() => other.blocklist.has(CHROME_JA4), 1000, 10)).toBe(true);
      expect(
        await waitFor(
          () => logger.calls.some((call) => call.message.includes('malformed')),
          1000,
          10,
        ),
      ).toBe(true);
      expect(guard.stats().storeAvailable).toBe(true);
    });

    test('many retries are warned about', async () => {
      const logger = recordingLogger();
      const client = createClient(6379, { maxRetriesPerRequest: 20 });
      clients.push(client);
      const guard = createGuard({ store: redisStore(client), keyPrefix: prefix, logger });
      guards.push(guard);
      const warnings = logger.calls.filter((call) => call.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.object).toMatchObject({ maxRetriesPerRequest: 20 });
    });

    test('close leaves client open', async () => {
      const client = createClient();
      clients.push(client);
      await waitUntilReady(client);
      const guard = createGuard({ store: redisStore(client), keyPrefix: prefix });
      await guard.ready();
      await guard.close();
      await guard.close();
      expect(await client.ping()).toBe('PONG');
    });
  },
);
