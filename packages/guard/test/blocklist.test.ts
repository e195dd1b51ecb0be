import { afterEach, describe, expect, test, vi } from 'vitest';
import { BlocklistTable, parseBlocklistValue } from '../src/blocklist.js';
import { createGuard, type Guard, GuardError } from '../src/index.js';
import { CHROME_JA4, CURL_JA4, context, fingerprint } from './helpers/context.js';

const guards: Guard[] = [];

function guardWith(options: Parameters<typeof createGuard>[0] = {}): Guard {
  const guard = createGuard(options);
  guards.push(guard);
  return guard;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(guards.splice(0).map((guard) => guard.close()));
});

async function rejection(promise: Promise<unknown>): Promise<GuardError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GuardError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('blocklist values', () => {
  const canonical: Array<
    [input: Parameters<typeof parseBlocklistValue>[0], value: string, kind: string]
  > = [
    [CHROME_JA4, CHROME_JA4, 'ja4'],
    ['t13d1516h2_8DAAF6152771_E5627EFA2AB1', CHROME_JA4, 'ja4'],
    ['t13d*_8DAAF6152771_*', 't13d*_8daaf6152771_*', 'pattern'],
    [`${CHROME_JA4}|203.0.113.7`, `${CHROME_JA4}|203.0.113.7`, 'ja4+ip'],
    [{ ja4: CHROME_JA4, ip: '::ffff:203.0.113.7' }, `${CHROME_JA4}|203.0.113.7`, 'ja4+ip'],
    [{ ja4: CHROME_JA4, ip: '2001:DB8:0::1' }, `${CHROME_JA4}|2001:db8::1`, 'ja4+ip'],
  ];

  test.each(canonical)('%j is stored as %s', (input, value, kind) => {
    const parsed = parseBlocklistValue(input);
    expect(parsed.value).toBe(value);
    expect(parsed.kind).toBe(kind);
  });

  const invalid: Array<[input: unknown, code: string]> = [
    ['', 'ERR_JA4GUARD_INVALID_BLOCKLIST_VALUE'],
    [42, 'ERR_JA4GUARD_INVALID_BLOCKLIST_VALUE'],
    ['t13d', 'ERR_JA4GUARD_INVALID_JA4'],
    ['t13d*_zz_*', 'ERR_JA4GUARD_INVALID_JA4'],
    [`${CHROME_JA4}|10.0.0.0/8`, 'ERR_JA4GUARD_INVALID_BLOCKLIST_VALUE'],
    [`${CHROME_JA4}|not-an-ip`, 'ERR_JA4GUARD_INVALID_IP'],
    ['t13d*|203.0.113.7', 'ERR_JA4GUARD_INVALID_BLOCKLIST_VALUE'],
    [{ ja4: CHROME_JA4 }, 'ERR_JA4GUARD_INVALID_BLOCKLIST_VALUE'],
  ];

  test.each(invalid)('%j is rejected', async (input, code) => {
    const guard = guardWith();
    const error = await rejection(guard.blocklist.add(input as string));
    expect(error.code).toBe(code);
  });

  test.each([
    [{ ttlSeconds: 0 }, 'options.ttlSeconds'],
    [{ ttlSeconds: Number.POSITIVE_INFINITY }, 'options.ttlSeconds'],
    [{ reason: 5 }, 'options.reason'],
  ])('add options %j are rejected', async (options, option) => {
    const guard = guardWith();
    const error = await rejection(guard.blocklist.add(CHROME_JA4, options as never));
    expect(error.code).toBe('ERR_JA4GUARD_INVALID_BLOCKLIST_VALUE');
    expect(error.option).toBe(option);
  });
});

describe('memory blocklist', () => {
  test('exact JA4 blocks before rules', async () => {
    const guard = guardWith({ rules: [{ name: 'all', action: 'allow' }] });
    await guard.blocklist.add(CHROME_JA4, { reason: 'scraper' });
    const decision = await guard.check(context());
    expect(decision.action).toBe('block');
    expect(decision.reason).toBe('blocklist');
    expect(decision.rule).toBeNull();
    expect(decision.key).toBe(CHROME_JA4);
    expect(
      (await guard.check(context({ fingerprint: fingerprint({ ja4: CURL_JA4 }) }))).action,
    ).toBe('allow');
  });

  test('pattern entry blocks matches', async () => {
    const guard = guardWith();
    await guard.blocklist.add('t13d*_8daaf6152771_*');
    expect((await guard.check(context())).key).toBe('t13d*_8daaf6152771_*');
    expect(
      (await guard.check(context({ fingerprint: fingerprint({ ja4: CURL_JA4 }) }))).action,
    ).toBe('pass');
  });

  test('pair entry needs both parts', async () => {
    const guard = guardWith();
    await guard.blocklist.add({ ja4: CHROME_JA4, ip: '203.0.113.7' });
    expect((await guard.check(context())).action).toBe('block');
    expect((await guard.check(context({ ip: '::ffff:203.0.113.7' }))).action).toBe('block');
    expect((await guard.check(context({ ip: '203.0.113.8' }))).action).toBe('pass');
    expect(
      (await guard.check(context({ fingerprint: fingerprint({ ja4: CURL_JA4 }) }))).action,
    ).toBe('pass');
  });

  test('missing fingerprint never hits', async () => {
    const guard = guardWith();
    await guard.blocklist.add('*');
    expect((await guard.check(context({ fingerprint: null }))).action).toBe('pass');
  });

  test('remove, has and list', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const guard = guardWith();
    await guard.blocklist.add(CHROME_JA4, { ttlSeconds: 30, reason: 'manual' });
    await guard.blocklist.add(`${CURL_JA4}|198.51.100.1`);
    expect(guard.blocklist.has(CHROME_JA4)).toBe(true);
    expect(guard.blocklist.has('t13d*')).toBe(false);
    expect(guard.blocklist.list()).toEqual([
      {
        value: CHROME_JA4,
        kind: 'ja4',
        ja4: CHROME_JA4,
        ip: null,
        reason: 'manual',
        addedAt: Date.parse('2030-01-01T00:00:00Z'),
        expiresAt: Date.parse('2030-01-01T00:00:30Z'),
      },
      {
        value: `${CURL_JA4}|198.51.100.1`,
        kind: 'ja4+ip',
        ja4: CURL_JA4,
        ip: '198.51.100.1',
        reason: null,
        addedAt: Date.parse('2030-01-01T00:00:00Z'),
        expiresAt: null,
      },
    ]);

    expect(await guard.blocklist.remove(`${CURL_JA4}|198.51.100.1`)).toBe(true);
    expect(await guard.blocklist.remove(`${CURL_JA4}|198.51.100.1`)).toBe(false);
    expect(guard.blocklist.size).toBe(1);
  });

  test('entries expire', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const guard = guardWith({ blocklistSyncIntervalMs: 1000 });
    await guard.blocklist.add(CHROME_JA4, { ttlSeconds: 2 });
    await guard.blocklist.add(CURL_JA4, { ttlSeconds: 2 });
    expect((await guard.check(context())).action).toBe('block');

    vi.advanceTimersByTime(2000);
    expect((await guard.check(context())).action).toBe('pass');
    expect(guard.blocklist.has(CURL_JA4)).toBe(false);
    expect(guard.blocklist.list()).toEqual([]);
    // The sweep timer drops entries that no lookup touched.
    vi.advanceTimersByTime(1000);
    expect(guard.blocklist.size).toBe(0);
  });

  test('re-adding replaces expiry', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const guard = guardWith();
    await guard.blocklist.add(CHROME_JA4, { ttlSeconds: 1 });
    await guard.blocklist.add(CHROME_JA4);
    vi.advanceTimersByTime(5000);
    expect(guard.blocklist.has(CHROME_JA4)).toBe(true);
  });

  test('writes after close are rejected', async () => {
    const guard = createGuard();
    await guard.close();
    expect((await rejection(guard.blocklist.add(CHROME_JA4))).code).toBe('ERR_JA4GUARD_CLOSED');
    expect((await rejection(guard.blocklist.remove(CHROME_JA4))).code).toBe('ERR_JA4GUARD_CLOSED');
  });
});

describe('large blocklist', () => {
  test('100000 exact entries', async () => {
    const guard = guardWith();
    const count = 100_000;
    const ja4At = (i: number) => `t13d1516h2_${i.toString(16).padStart(12, '0')}_e5627efa2ab1`;
    for (let i = 0; i < count; i++) {
      await guard.blocklist.add(ja4At(i));
    }
    expect(guard.blocklist.size).toBe(count);
    for (const i of [0, 1, 54_321, count - 1]) {
      expect(
        (await guard.check(context({ fingerprint: fingerprint({ ja4: ja4At(i) }) }))).action,
      ).toBe('block');
    }
    expect(
      (await guard.check(context({ fingerprint: fingerprint({ ja4: ja4At(count) }) }))).action,
    ).toBe('pass');
  });

  test('table lookups skip patterns for exact hits', () => {
    const table = new BlocklistTable();
    table.put(parseBlocklistValue(CHROME_JA4), null, 0, null);
    const pattern = parseBlocklistValue('t13d*');
    const spy = vi.spyOn(pattern.regex as RegExp, 'test');
    table.put(pattern, null, 0, null);
    expect(table.match({ ja4: CHROME_JA4, clientIp: '203.0.113.7' })?.value).toBe(CHROME_JA4);
    expect(spy).not.toHaveBeenCalled();
  });
});
