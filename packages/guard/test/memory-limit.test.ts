import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createGuard, type Guard, type GuardOptions } from '../src/index.js';
import { BoundedMemoryLimiter, KeyBudget } from '../src/memory-limiter.js';
import { CHROME_JA4, CURL_JA4, context, fingerprint, recordingLogger } from './helpers/context.js';

const guards: Guard[] = [];

function guardWith(options: GuardOptions): Guard {
  const guard = createGuard(options);
  guards.push(guard);
  return guard;
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(guards.splice(0).map((guard) => guard.close()));
});

describe('memory windows', () => {
  test('limit resets after duration', async () => {
    const guard = guardWith({
      rules: [{ name: 'api', action: 'rateLimit', rateLimit: { points: 3, duration: 10 } }],
    });

    const remaining: Array<number | null> = [];
    for (let i = 0; i < 3; i++) {
      const decision = await guard.check(context());
      expect(decision.action).toBe('pass');
      remaining.push(decision.remaining);
    }
    expect(remaining).toEqual([2, 1, 0]);

    vi.advanceTimersByTime(4000);
    const limited = await guard.check(context());
    expect(limited.action).toBe('limit');
    expect(limited.retryAfterMs).toBe(6000);

    vi.advanceTimersByTime(6000);
    const next = await guard.check(context());
    expect(next.action).toBe('pass');
    expect(next.remaining).toBe(2);
  });

  test('limit decision fields', async () => {
    const guard = guardWith({
      rules: [{ name: 'api', action: 'rateLimit', rateLimit: { points: 1, duration: 60 } }],
    });
    const first = await guard.check(context());
    expect(first).toEqual({
      action: 'pass',
      rule: 'api',
      reason: null,
      enforced: true,
      key: `${CHROME_JA4}|203.0.113.7`,
      limit: 1,
      remaining: 0,
      resetMs: 60_000,
      retryAfterMs: null,
      logs: [],
      ban: null,
    });

    vi.advanceTimersByTime(1000);
    const second = await guard.check(context());
    expect(second).toEqual({
      action: 'limit',
      rule: 'api',
      reason: 'rule',
      enforced: true,
      key: `${CHROME_JA4}|203.0.113.7`,
      limit: 1,
      remaining: 0,
      resetMs: 59_000,
      retryAfterMs: 59_000,
      logs: [],
      ban: null,
    });
  });

  test('blockDuration outlasts window', async () => {
    const guard = guardWith({
      rules: [
        {
          name: 'login',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 1, blockDuration: 30 },
        },
      ],
    });
    expect((await guard.check(context())).action).toBe('pass');
    const blocked = await guard.check(context());
    expect(blocked.action).toBe('limit');
    expect(blocked.retryAfterMs).toBe(30_000);

    vi.advanceTimersByTime(5000);
    expect((await guard.check(context())).action).toBe('limit');

    vi.advanceTimersByTime(25_000);
    expect((await guard.check(context())).action).toBe('pass');
  });

  test('pass reports tightest limit', async () => {
    const guard = guardWith({
      rules: [
        { name: 'wide', action: 'rateLimit', rateLimit: { points: 100, duration: 60 } },
        { name: 'narrow', action: 'rateLimit', rateLimit: { points: 5, duration: 10 } },
      ],
    });
    const decision = await guard.check(context());
    expect(decision.action).toBe('pass');
    expect(decision.rule).toBe('narrow');
    expect(decision.limit).toBe(5);
    expect(decision.remaining).toBe(4);
  });

  test('block after rate limit still applies', async () => {
    const guard = guardWith({
      rules: [
        { name: 'api', action: 'rateLimit', rateLimit: { points: 5, duration: 10 } },
        { name: 'curl', match: { ja4: CURL_JA4 }, action: 'block' },
      ],
    });
    const decision = await guard.check(context({ fingerprint: fingerprint({ ja4: CURL_JA4 }) }));
    expect(decision.action).toBe('block');
    expect(decision.rule).toBe('curl');
  });
});

describe('rate-limit keys', () => {
  const other = { ip: '198.51.100.20' };

  async function secondDecision(
    key: 'ja4' | 'ip' | 'ja4+ip',
    secondRequest: Parameters<typeof context>[0],
  ) {
    const guard = guardWith({
      rules: [{ name: 'k', action: 'rateLimit', rateLimit: { points: 1, duration: 60, key } }],
    });
    await guard.check(context());
    return guard.check(context(secondRequest));
  }

  test('ja4 key shares across IPs', async () => {
    const decision = await secondDecision('ja4', other);
    expect(decision.action).toBe('limit');
    expect(decision.key).toBe(CHROME_JA4);
  });

  test('ip key shares across JA4s', async () => {
    const decision = await secondDecision('ip', { fingerprint: fingerprint({ ja4: CURL_JA4 }) });
    expect(decision.action).toBe('limit');
    expect(decision.key).toBe('203.0.113.7');
  });

  test('default key separates IPs', async () => {
    const decision = await secondDecision('ja4+ip', other);
    expect(decision.action).toBe('pass');
    expect(decision.key).toBe(`${CHROME_JA4}|198.51.100.20`);
  });

  test('mapped IPv4 shares a key with IPv4', async () => {
    const decision = await secondDecision('ip', { ip: '::ffff:203.0.113.7' });
    expect(decision.action).toBe('limit');
    expect(decision.key).toBe('203.0.113.7');
  });

  test('missing fingerprint uses none', async () => {
    const guard = guardWith({
      rules: [{ name: 'k', action: 'rateLimit', rateLimit: { points: 1, duration: 60 } }],
    });
    const decision = await guard.check(context({ fingerprint: null }));
    expect(decision.key).toBe('none|203.0.113.7');
  });

  test('custom key function', async () => {
    const guard = guardWith({
      rules: [
        {
          name: 'tenant',
          action: 'rateLimit',
          rateLimit: {
            points: 1,
            duration: 60,
            key: (request) => `tenant:${request.headers['x-tenant']}`,
          },
        },
      ],
    });
    await guard.check(context({ headers: { 'x-tenant': 'a' } }));
    const sameTenant = await guard.check(
      context({ ip: '198.51.100.1', headers: { 'x-tenant': 'a' } }),
    );
    const otherTenant = await guard.check(context({ headers: { 'x-tenant': 'b' } }));
    expect(sameTenant.action).toBe('limit');
    expect(sameTenant.key).toBe('tenant:a');
    expect(otherTenant.action).toBe('pass');
  });

  test('rule names with colons stay apart', async () => {
    const guard = guardWith({
      rules: [
        {
          name: 'a',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 60, key: () => 'b:c' },
        },
        {
          name: 'a:b',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 60, key: () => 'c' },
        },
      ],
    });
    const decision = await guard.check(context());
    expect(decision.action).toBe('pass');
    expect(guard.stats().trackedKeys).toBe(2);
  });

  test('failing key function skips rule', async () => {
    const logger = recordingLogger();
    const guard = guardWith({
      logger,
      rules: [
        {
          name: 'broken',
          action: 'rateLimit',
          rateLimit: {
            points: 1,
            duration: 60,
            key: () => {
              throw new Error('no tenant');
            },
          },
        },
      ],
    });
    for (let i = 0; i < 3; i++) {
      expect((await guard.check(context())).action).toBe('pass');
    }
    const errors = logger.calls.filter((call) => call.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.object).toMatchObject({ rule: 'broken' });
  });
});

describe('bans', () => {
  const banRule = (scope: 'ja4' | 'ja4+ip') => ({
    name: 'scraper',
    action: 'rateLimit' as const,
    rateLimit: { points: 1, duration: 10, ban: { after: 2, ttlSeconds: 60, scope } },
  });

  test('ban after exceeded windows', async () => {
    const guard = guardWith({ rules: [banRule('ja4+ip')] });

    await guard.check(context());
    const firstExcess = await guard.check(context());
    expect(firstExcess.action).toBe('limit');
    expect(firstExcess.ban).toBeNull();
    // Later requests in the same window do not count as another exceeded window.
    expect((await guard.check(context())).ban).toBeNull();

    vi.advanceTimersByTime(10_000);
    await guard.check(context());
    const secondExcess = await guard.check(context());
    expect(secondExcess.ban).toEqual({ value: `${CHROME_JA4}|203.0.113.7`, ttlSeconds: 60 });
    expect(guard.blocklist.has({ ja4: CHROME_JA4, ip: '203.0.113.7' })).toBe(true);

    vi.advanceTimersByTime(10_000);
    const banned = await guard.check(context());
    expect(banned.action).toBe('block');
    expect(banned.reason).toBe('blocklist');
    expect(banned.key).toBe(`${CHROME_JA4}|203.0.113.7`);
    expect((await guard.check(context({ ip: '198.51.100.1' }))).action).toBe('pass');

    vi.advanceTimersByTime(50_000);
    expect((await guard.check(context())).action).toBe('pass');
  });

  test('ja4 scope bans every IP', async () => {
    const guard = guardWith({ rules: [banRule('ja4')] });
    for (let window = 0; window < 2; window++) {
      await guard.check(context());
      await guard.check(context());
      vi.advanceTimersByTime(10_000);
    }
    const decision = await guard.check(context({ ip: '198.51.100.1' }));
    expect(decision.action).toBe('block');
    expect(decision.key).toBe(CHROME_JA4);
  });

  test('missing fingerprint is never banned', async () => {
    const guard = guardWith({ rules: [banRule('ja4+ip')] });
    for (let window = 0; window < 3; window++) {
      await guard.check(context({ fingerprint: null }));
      const decision = await guard.check(context({ fingerprint: null }));
      expect(decision.ban).toBeNull();
      vi.advanceTimersByTime(10_000);
    }
    expect(guard.blocklist.size).toBe(0);
  });
});

describe('dry-run mode', () => {
  test('reports without enforcing', async () => {
    const guard = guardWith({
      mode: 'dry-run',
      rules: [
        { name: 'curl', match: { ja4: CURL_JA4 }, action: 'block' },
        {
          name: 'api',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 60, ban: { after: 1, ttlSeconds: 60 } },
        },
      ],
    });
    expect(guard.mode).toBe('dry-run');

    const blocked = await guard.check(context({ fingerprint: fingerprint({ ja4: CURL_JA4 }) }));
    expect(blocked.action).toBe('block');
    expect(blocked.enforced).toBe(false);

    await guard.check(context());
    const limited = await guard.check(context());
    expect(limited.action).toBe('limit');
    expect(limited.enforced).toBe(false);
    expect(limited.ban).toEqual({ value: `${CHROME_JA4}|203.0.113.7`, ttlSeconds: 60 });
    expect(guard.blocklist.size).toBe(0);
  });

  test('blocklist hit not enforced', async () => {
    const guard = guardWith({ mode: 'dry-run' });
    await guard.blocklist.add(CHROME_JA4);
    const decision = await guard.check(context());
    expect(decision.action).toBe('block');
    expect(decision.reason).toBe('blocklist');
    expect(decision.enforced).toBe(false);
  });
});

describe('sync fast path', () => {
  test('rules without store decide synchronously', () => {
    const guard = guardWith({
      rules: [
        { name: 'deny-curl', match: { ja4: CURL_JA4 }, action: 'block' },
        { name: 'api', action: 'rateLimit', rateLimit: { points: 5, duration: 10 } },
      ],
    });
    const blocked = guard.evaluate(context({ fingerprint: fingerprint({ ja4: CURL_JA4 }) }));
    expect(blocked).not.toBeInstanceOf(Promise);
    expect(guard.evaluate(context())).toBeInstanceOf(Promise);
  });

  test('blocklist hit decides synchronously', async () => {
    const guard = guardWith({
      rules: [{ name: 'api', action: 'rateLimit', rateLimit: { points: 5, duration: 10 } }],
    });
    await guard.blocklist.add('t13d*');
    const decision = guard.evaluate(context());
    expect(decision).not.toBeInstanceOf(Promise);
    expect((decision as Awaited<typeof decision>).action).toBe('block');
  });
});

describe('bounded memory store', () => {
  test('tracked keys stay under maxKeys', async () => {
    const maxKeys = 100;
    const guard = guardWith({
      maxKeys,
      rules: [
        { name: 'api', action: 'rateLimit', rateLimit: { points: 1, duration: 3600, key: 'ja4' } },
      ],
    });
    for (let i = 0; i < maxKeys + 50; i++) {
      const ja4 = `t13d1516h2_${i.toString(16).padStart(12, '0')}_e5627efa2ab1`;
      await guard.check(context({ fingerprint: fingerprint({ ja4 }) }));
      expect(guard.stats().trackedKeys).toBeLessThanOrEqual(maxKeys);
    }
    expect(guard.stats().trackedKeys).toBe(maxKeys);

    // The oldest key was evicted, so its counter starts again.
    const first = `t13d1516h2_${'0'.repeat(12)}_e5627efa2ab1`;
    expect((await guard.check(context({ fingerprint: fingerprint({ ja4: first }) }))).action).toBe(
      'pass',
    );
  });

  test('limiter storage follows the budget', async () => {
    const budget = new KeyBudget(10);
    const limiters = [
      new BoundedMemoryLimiter({ keyPrefix: 'a', points: 5, duration: 60 }, budget),
      new BoundedMemoryLimiter({ keyPrefix: 'b', points: 5, duration: 60 }, budget),
    ];
    for (let i = 0; i < 40; i++) {
      await (limiters[i % 2] as BoundedMemoryLimiter).consume(`key-${i}`);
    }
    // rate-limiter-flexible keeps its records in a private Map; its size is the real memory use.
    const stored = limiters.map(
      (limiter) =>
        (limiter as unknown as { _memoryStorage: { _storage: Map<string, unknown> } })
          ._memoryStorage._storage.size,
    );
    expect(budget.size).toBe(10);
    expect(stored[0]! + stored[1]!).toBe(10);
  });

  test('recently used keys survive eviction', async () => {
    const budget = new KeyBudget(2);
    const limiter = new BoundedMemoryLimiter({ keyPrefix: 'a', points: 5, duration: 60 }, budget);
    await limiter.consume('old');
    await limiter.consume('middle');
    await limiter.consume('old');
    await limiter.consume('new');
    expect(await limiter.get('old')).not.toBeNull();
    expect(await limiter.get('middle')).toBeNull();
    expect(await limiter.get('new')).not.toBeNull();
  });
});
