import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import {
  createGuard,
  type Guard,
  GuardErrorCode,
  type GuardRule,
  redisStore,
} from '../src/index.js';
import { CURL_JA4, context, fingerprint, waitFor } from './helpers/context.js';
import {
  checkRedis,
  createClient,
  deleteKeys,
  uniquePrefix,
  waitUntilReady,
} from './helpers/redis.js';

const CURL = fingerprint({ ja4: CURL_JA4 });

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return null;
}

describe('withRules on the memory store', () => {
  const guards: Guard[] = [];

  afterEach(async () => {
    await Promise.all(guards.splice(0).map((guard) => guard.close()));
  });

  function memoryGuard(rules: GuardRule[] = []): Guard {
    const guard = createGuard({ rules });
    guards.push(guard);
    return guard;
  }

  test('shares the blocklist', async () => {
    const parent = memoryGuard();
    const child = parent.withRules([{ name: 'curl', action: 'log', match: { ja4: CURL_JA4 } }]);
    expect(child.blocklist).toBe(parent.blocklist);

    await parent.blocklist.add(CURL_JA4, { ttlSeconds: 60 });
    const decision = await child.check(context({ fingerprint: CURL }));
    expect(decision.action).toBe('block');
    expect(decision.reason).toBe('blocklist');
  });

  test('ban reaches the parent', async () => {
    const parent = memoryGuard();
    const child = parent.withRules([
      {
        name: 'login',
        action: 'rateLimit',
        rateLimit: { points: 1, duration: 60, ban: { after: 1, ttlSeconds: 60 } },
      },
    ]);

    await child.check(context());
    const limited = await child.check(context());
    expect(limited.ban).not.toBeNull();

    const decision = await parent.check(context());
    expect(decision.action).toBe('block');
    expect(decision.reason).toBe('blocklist');
  });

  test('shares the key budget', async () => {
    const parent = memoryGuard([
      { name: 'app', action: 'rateLimit', rateLimit: { points: 10, duration: 60 } },
    ]);
    const child = parent.withRules([
      { name: 'route', action: 'rateLimit', rateLimit: { points: 10, duration: 60 } },
    ]);

    await parent.check(context());
    await child.check(context());
    expect(parent.stats().trackedKeys).toBe(2);
    expect(child.stats().trackedKeys).toBe(2);
  });

  test('keeps its own rules and decision counts', async () => {
    const parent = memoryGuard([{ name: 'curl', action: 'block', match: { ja4: CURL_JA4 } }]);
    const child = parent.withRules([
      { name: 'api', action: 'rateLimit', rateLimit: { points: 5, duration: 60 } },
    ]);

    const childDecision = await child.check(context({ fingerprint: CURL }));
    expect(childDecision.action).toBe('pass');
    expect(childDecision.limit).toBe(5);
    expect(child.rateLimitPolicy('api')).toEqual({ limit: 5, windowSeconds: 60 });
    expect(parent.rateLimitPolicy('api')).toBeNull();
    expect(child.stats().requestDecisions.byAction.pass).toBe(1);
    expect(parent.stats().requestDecisions.byAction.pass).toBe(0);
  });

  test('close leaves the parent working', async () => {
    const parent = memoryGuard();
    const child = parent.withRules([]);
    await child.close();

    await parent.blocklist.add(CURL_JA4, { ttlSeconds: 60 });
    expect((await parent.check(context({ fingerprint: CURL }))).action).toBe('block');
    expect((await parent.check(context())).action).toBe('pass');
  });

  test('invalid rule throws GuardError', () => {
    const parent = memoryGuard();
    const error = thrownBy(() =>
      parent.withRules([{ name: 'bad', action: 'explode' } as unknown as GuardRule]),
    );
    expect(error).toMatchObject({ name: 'GuardError', code: GuardErrorCode.INVALID_RULE });
  });

  test('duplicate rule name throws GuardError', () => {
    const parent = memoryGuard();
    const rule: GuardRule = { name: 'twice', action: 'log', match: { ja4: CURL_JA4 } };
    const error = thrownBy(() => parent.withRules([rule, rule]));
    expect(error).toMatchObject({ name: 'GuardError', code: GuardErrorCode.INVALID_RULE });
  });

  test('connection-stage rule throws GuardError', () => {
    const parent = memoryGuard();
    const error = thrownBy(() =>
      parent.withRules([
        { name: 'early', action: 'block', stage: 'connection', match: { ja4: CURL_JA4 } },
      ]),
    );
    expect(error).toMatchObject({
      name: 'GuardError',
      code: GuardErrorCode.INVALID_RULE,
      rule: 'early',
      option: 'rules[0].stage',
    });
  });
});

const redis = await checkRedis();

describe.skipIf(!redis.available)(
  `withRules on the Redis store${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    let admin: Redis;
    let client: Redis;
    let prefix: string;
    let parent: Guard;

    beforeAll(async () => {
      admin = createClient();
      await waitUntilReady(admin);
    });

    beforeEach(async () => {
      prefix = uniquePrefix();
      client = createClient();
      await waitUntilReady(client);
      parent = createGuard({
        store: redisStore(client),
        keyPrefix: prefix,
        rules: [{ name: 'api', action: 'rateLimit', rateLimit: { points: 3, duration: 60 } }],
      });
      await parent.ready();
    });

    afterEach(async () => {
      await parent.close();
      client.disconnect();
      await deleteKeys(admin, prefix);
    });

    afterAll(async () => {
      await admin.quit();
    });

    test('opens no Redis connection', async () => {
      const duplicate = vi.spyOn(client, 'duplicate');
      const child = parent.withRules([
        { name: 'route', action: 'rateLimit', rateLimit: { points: 3, duration: 60 } },
      ]);
      await child.ready();
      await child.check(context());
      expect(duplicate).not.toHaveBeenCalled();
      duplicate.mockRestore();
    });

    test('same-named rule shares counters', async () => {
      const child = parent.withRules([
        { name: 'api', action: 'rateLimit', rateLimit: { points: 3, duration: 60 } },
      ]);

      expect((await parent.check(context())).remaining).toBe(2);
      expect((await child.check(context())).remaining).toBe(1);
      expect((await parent.check(context())).remaining).toBe(0);
      expect((await child.check(context())).action).toBe('limit');
    });

    test('close leaves the parent working', async () => {
      const child = parent.withRules([]);
      await child.close();

      await parent.blocklist.add(CURL_JA4, { ttlSeconds: 60 });
      expect(await admin.hexists(`${prefix}{blocklist}:entries`, CURL_JA4)).toBe(1);
      expect((await parent.check(context({ fingerprint: CURL }))).action).toBe('block');
      expect((await parent.check(context())).remaining).toBe(2);
      expect(parent.stats().storeAvailable).toBe(true);
    });

    test('ban reaches the parent', async () => {
      const child = parent.withRules([
        {
          name: 'login',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 60, ban: { after: 1, ttlSeconds: 60 } },
        },
      ]);

      await child.check(context());
      expect((await child.check(context())).ban).not.toBeNull();
      // The ban is written to Redis in the background, so the parent may see it a moment later.
      const blocked = await waitFor(
        async () => (await parent.check(context())).reason === 'blocklist',
        2000,
      );
      expect(blocked).toBe(true);
    });
  },
);
