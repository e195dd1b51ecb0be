import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  createGuard,
  type Decision,
  type Guard,
  GuardError,
  type GuardOptions,
  redisStore,
} from '../src/index.js';
import { CURL_JA4, context, fingerprint, recordingLogger, waitFor } from './helpers/context.js';
import { checkRedis, createClient, uniquePrefix, waitUntilReady } from './helpers/redis.js';
import {
  createTempDirectory,
  freePort,
  type RedisServer,
  removeDirectory,
  startRedisServer,
} from './helpers/redis-server.js';

// A reply from the shared Redis shows that Redis is installed. These tests stop only their own server.
const redis = await checkRedis();

/** Extra milliseconds a check may take during an outage, over the slowest check before it. */
const OUTAGE_ALLOWANCE_MS = 100;

async function timedCheck(
  guard: Guard,
  request = context(),
): Promise<{ decision: Decision; ms: number }> {
  const started = performance.now();
  const decision = await guard.check(request);
  return { decision, ms: performance.now() - started };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe.skipIf(!redis.available)(
  `Redis outage${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    let directory = '';
    let port = 0;
    let server: RedisServer | null = null;
    const clients: Redis[] = [];
    const guards: Guard[] = [];

    async function outageGuard(options: GuardOptions): Promise<{ guard: Guard; client: Redis }> {
      const client = createClient(port);
      clients.push(client);
      await waitUntilReady(client);
      const guard = createGuard({
        store: redisStore(client),
        keyPrefix: uniquePrefix(),
        redisTimeoutMs: 50,
        redisProbeIntervalMs: 100,
        ...options,
      });
      guards.push(guard);
      await guard.ready();
      return { guard, client };
    }

    async function baselineMs(guard: Guard): Promise<number> {
      let slowest = 0;
      for (let i = 0; i < 20; i++) {
        const { ms } = await timedCheck(guard, context({ ip: `192.0.2.${i}` }));
        slowest = Math.max(slowest, ms);
      }
      return slowest;
    }

    beforeAll(async () => {
      directory = await createTempDirectory();
      port = await freePort();
      server = await startRedisServer(port, directory);
    });

    afterEach(async () => {
      server?.resume();
      await Promise.all(guards.splice(0).map((guard) => guard.close()));
      for (const client of clients.splice(0)) {
        client.disconnect();
      }
    });

    afterAll(async () => {
      await server?.stop();
      await removeDirectory(directory);
    });

    test('stalled Redis fails open', async () => {
      const logger = recordingLogger();
      const { guard } = await outageGuard({
        logger,
        rules: [
          { name: 'api', action: 'rateLimit', rateLimit: { points: 5, duration: 60, key: 'ip' } },
        ],
      });
      const normalMs = await baselineMs(guard);

      server?.pause();
      const durations: number[] = [];
      const actions: string[] = [];
      for (let i = 0; i < 40; i++) {
        const { decision, ms } = await timedCheck(guard, context({ ip: `198.51.100.${i}` }));
        durations.push(ms);
        actions.push(decision.action);
      }
      // The in-memory insurance limiter keeps counting one client while Redis stalls.
      const oneClient: string[] = [];
      for (let i = 0; i < 7; i++) {
        const { decision, ms } = await timedCheck(guard, context({ ip: '198.51.100.200' }));
        durations.push(ms);
        oneClient.push(decision.action);
      }

      expect(Math.max(...durations)).toBeLessThan(normalMs + OUTAGE_ALLOWANCE_MS);
      expect(new Set(actions)).toEqual(new Set(['pass']));
      expect(oneClient).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'limit', 'limit']);
      expect(guard.stats().storeAvailable).toBe(false);
      const outages = logger.calls.filter(
        (call) => call.level === 'error' && call.message.startsWith('Redis store unavailable'),
      );
      expect(outages).toHaveLength(1);

      server?.resume();
      expect(await waitFor(() => guard.stats().storeAvailable, 5000, 20)).toBe(true);
      const recoveries = logger.calls.filter((call) => call.message === 'Redis store recovered');
      expect(recoveries).toHaveLength(1);
      expect(logger.calls.filter((call) => call.level === 'error')).toHaveLength(1);

      const after = await guard.check(context({ ip: '198.51.100.250' }));
      expect(after.action).toBe('pass');
      expect(after.remaining).toBe(4);
    });

    test('stalled Redis fails closed', async () => {
      const logger = recordingLogger();
      const { guard } = await outageGuard({
        logger,
        failClosed: true,
        rules: [{ name: 'api', action: 'rateLimit', rateLimit: { points: 100, duration: 60 } }],
      });
      const normalMs = await baselineMs(guard);

      server?.pause();
      const decisions: Decision[] = [];
      let slowest = 0;
      for (let i = 0; i < 20; i++) {
        const { decision, ms } = await timedCheck(guard, context({ ip: `198.51.100.${i}` }));
        decisions.push(decision);
        slowest = Math.max(slowest, ms);
      }
      expect(slowest).toBeLessThan(normalMs + OUTAGE_ALLOWANCE_MS);
      expect(decisions.map((decision) => decision.reason)).toEqual(
        new Array(20).fill('store-unavailable'),
      );
      // While Redis is marked down, the decision needs no promise.
      expect(guard.evaluate(context())).not.toBeInstanceOf(Promise);

      server?.resume();
      expect(await waitFor(() => guard.stats().storeAvailable, 5000, 20)).toBe(true);
      expect((await guard.check(context({ ip: '198.51.100.250' }))).action).toBe('pass');
      expect(logger.calls.map((call) => call.level)).toEqual(['error', 'info']);
    });

    test('killed Redis fails closed', async () => {
      const logger = recordingLogger();
      const { guard, client } = await outageGuard({
        logger,
        failClosed: true,
        rules: [
          { name: 'curl', match: { ja4: CURL_JA4 }, action: 'block' },
          { name: 'api', action: 'rateLimit', rateLimit: { points: 100, duration: 60 } },
        ],
      });
      const normalMs = await baselineMs(guard);

      const durations: number[] = [];
      const afterKill: Decision[] = [];
      let killedAt = 0;
      for (let i = 0; i < 60; i++) {
        if (i === 20) {
          await server?.stop();
          killedAt = Date.now();
        }
        const { decision, ms } = await timedCheck(guard, context({ ip: `198.51.100.${i}` }));
        durations.push(ms);
        // Allow ioredis 100 ms to see the closed connection; every check after that must fail closed.
        if (killedAt > 0 && Date.now() - killedAt > 100) {
          afterKill.push(decision);
        }
        if (i >= 20) {
          await sleep(5);
        }
      }

      expect(Math.max(...durations)).toBeLessThan(normalMs + OUTAGE_ALLOWANCE_MS);
      expect(afterKill.length).toBeGreaterThan(10);
      for (const decision of afterKill) {
        expect(decision.action).toBe('block');
        expect(decision.reason).toBe('store-unavailable');
        expect(decision.rule).toBe('api');
      }
      // Rules that need no store still decide.
      expect(
        (await guard.check(context({ fingerprint: fingerprint({ ja4: CURL_JA4 }) }))).rule,
      ).toBe('curl');

      // A blocklist write fails fast and applies to this instance only.
      const started = Date.now();
      let writeError: unknown;
      try {
        await guard.blocklist.add('t13d*');
      } catch (error) {
        writeError = error;
      }
      expect(Date.now() - started).toBeLessThan(2500);
      expect(writeError).toBeInstanceOf(GuardError);
      expect((writeError as GuardError).code).toBe('ERR_JA4GUARD_STORE_UNAVAILABLE');
      expect(guard.blocklist.has('t13d*')).toBe(true);

      const outages = logger.calls.filter(
        (call) => call.level === 'error' && call.message.startsWith('Redis store unavailable'),
      );
      expect(outages).toHaveLength(1);

      server = await startRedisServer(port, directory);
      expect(await waitFor(() => guard.stats().storeAvailable, 10_000, 20)).toBe(true);
      expect(await waitFor(() => client.status === 'ready', 5000, 20)).toBe(true);
      const recoveries = logger.calls.filter((call) => call.message === 'Redis store recovered');
      expect(recoveries).toHaveLength(1);

      const after = await guard.check(context({ ip: '198.51.100.250' }));
      expect(after.action).toBe('pass');
      expect(after.remaining).toBe(99);
      // The restarted Redis is empty, and the resync after recovery drops the local-only entry.
      expect(await waitFor(() => !guard.blocklist.has('t13d*'), 2000, 20)).toBe(true);
    });
  },
);
