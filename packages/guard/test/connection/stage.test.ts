import type { Socket } from 'node:net';
import type { ClientHelloEvent, TlsFingerprint } from '@ja4guard/core';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import {
  createConnectionHook,
  createGuard,
  type Decision,
  type Guard,
  type GuardOptions,
} from '../../src/index.js';
import { CHROME_JA4, CURL_JA4, context, fingerprint, recordingLogger } from '../helpers/context.js';

const SOCKET = {} as Socket;
const guards: Guard[] = [];

function guardWith(options: GuardOptions = {}): Guard {
  const guard = createGuard(options);
  guards.push(guard);
  return guard;
}

function event(ja4 = CHROME_JA4, remoteAddress = '203.0.113.7'): ClientHelloEvent {
  const tls: TlsFingerprint = {
    ...fingerprint({ ja4 }),
    ja4_r: '',
    ja4_o: '',
    ja4_ro: '',
    ja3_full: '',
    tlsVersions: [0x0304],
    source: 'socket',
  };
  return { fingerprint: tls, clientHello: null, remoteAddress, remotePort: 50_000 };
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(guards.splice(0).map((guard) => guard.close()));
});

describe('blocklist at connection', () => {
  test('exact JA4 dropped synchronously', async () => {
    const guard = guardWith();
    await guard.blocklist.add(CHROME_JA4);
    const hook = guard.connectionHook();
    expect(hook(event(), SOCKET)).toBe('drop');
    expect(hook(event(CURL_JA4), SOCKET)).toBe('accept');
  });

  test('pattern dropped', async () => {
    const guard = guardWith();
    await guard.blocklist.add('t13d*_8daaf6152771_*');
    const hook = guard.connectionHook();
    expect(hook(event(), SOCKET)).toBe('drop');
    expect(hook(event(CURL_JA4), SOCKET)).toBe('accept');
  });

  test('JA4 and IP dropped', async () => {
    const guard = guardWith();
    await guard.blocklist.add({ ja4: CHROME_JA4, ip: '203.0.113.7' });
    const hook = guard.connectionHook();
    expect(hook(event(CHROME_JA4, '203.0.113.7'), SOCKET)).toBe('drop');
    expect(hook(event(CHROME_JA4, '::ffff:203.0.113.7'), SOCKET)).toBe('drop');
    expect(hook(event(CHROME_JA4, '203.0.113.8'), SOCKET)).toBe('accept');
  });

  test('drops counted by reason', async () => {
    const guard = guardWith();
    await guard.blocklist.add(CHROME_JA4);
    const hook = guard.connectionHook();
    hook(event(), SOCKET);
    hook(event(), SOCKET);
    hook(event(CURL_JA4), SOCKET);
    const counts = guard.stats().connectionDecisions;
    expect(counts.byAction.block).toBe(2);
    expect(counts.byAction.pass).toBe(1);
    expect(counts.blocklist).toBe(2);
    expect(guard.stats().requestDecisions.byAction.block).toBe(0);
  });

  test('createConnectionHook same as method', async () => {
    const guard = guardWith();
    await guard.blocklist.add(CHROME_JA4);
    expect(createConnectionHook(guard)(event(), SOCKET)).toBe('drop');
  });
});

describe('connection rules', () => {
  test('block rule dropped and counted', () => {
    const guard = guardWith({
      rules: [{ name: 'curl', stage: 'connection', match: { ja4: CURL_JA4 }, action: 'block' }],
    });
    const hook = guard.connectionHook();
    expect(hook(event(CURL_JA4), SOCKET)).toBe('drop');
    expect(hook(event(), SOCKET)).toBe('accept');
    expect(guard.stats().connectionDecisions.byRule).toEqual({ curl: { block: 1 } });
  });

  test('allow stops connection rules', () => {
    const guard = guardWith({
      rules: [
        { name: 'office', stage: 'connection', match: { ip: '203.0.113.0/24' }, action: 'allow' },
        { name: 'all', stage: 'connection', action: 'block' },
      ],
    });
    const hook = guard.connectionHook();
    expect(hook(event(CHROME_JA4, '203.0.113.7'), SOCKET)).toBe('accept');
    expect(hook(event(CHROME_JA4, '198.51.100.7'), SOCKET)).toBe('drop');
  });

  test('SNI and ALPN match', () => {
    const guard = guardWith({
      rules: [
        {
          name: 'admin-h2',
          stage: 'connection',
          match: { sni: 'www.example.com', alpn: 'h2' },
          action: 'block',
        },
      ],
    });
    expect(guard.connectionHook()(event(), SOCKET)).toBe('drop');
  });

  test('log rule accepts', () => {
    const guard = guardWith({
      rules: [{ name: 'seen', stage: 'connection', match: { ja4: 't13*' }, action: 'log' }],
    });
    expect(guard.connectionHook()(event(), SOCKET)).toBe('accept');
    expect(guard.stats().connectionDecisions.byRule).toEqual({ seen: { log: 1 } });
  });

  test('rate limit drops after points', async () => {
    const guard = guardWith({
      rules: [
        {
          name: 'connections',
          stage: 'connection',
          action: 'rateLimit',
          rateLimit: { points: 3, duration: 10, key: 'ip' },
        },
      ],
    });
    const hook = guard.connectionHook();

    const verdicts: string[] = [];
    for (let i = 0; i < 5; i++) {
      verdicts.push(await hook(event(i % 2 === 0 ? CHROME_JA4 : CURL_JA4), SOCKET));
    }
    expect(verdicts).toEqual(['accept', 'accept', 'accept', 'drop', 'drop']);
    expect(await hook(event(CHROME_JA4, '198.51.100.7'), SOCKET)).toBe('accept');

    vi.advanceTimersByTime(10_000);
    expect(await hook(event(), SOCKET)).toBe('accept');
    expect(guard.stats().connectionDecisions.byRule.connections).toEqual({ pass: 5, limit: 2 });
  });

  test.each([
    [
      'ja4',
      [CHROME_JA4, CHROME_JA4, CURL_JA4],
      ['203.0.113.7', '198.51.100.7', '203.0.113.7'],
      ['accept', 'drop', 'accept'],
    ],
    [
      'ja4+ip',
      [CHROME_JA4, CHROME_JA4, CHROME_JA4],
      ['203.0.113.7', '198.51.100.7', '203.0.113.7'],
      ['accept', 'accept', 'drop'],
    ],
  ] as const)('rate limit keyed on %s', async (key, ja4s, ips, expected) => {
    const guard = guardWith({
      rules: [
        {
          name: 'connections',
          stage: 'connection',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 60, key },
        },
      ],
    });
    const hook = guard.connectionHook();
    const verdicts: string[] = [];
    for (let i = 0; i < ja4s.length; i++) {
      verdicts.push(await hook(event(ja4s[i], ips[i]), SOCKET));
    }
    expect(verdicts).toEqual(expected);
  });
});

describe('stages stay apart', () => {
  test('request rule skipped at connection', () => {
    const guard = guardWith({
      rules: [{ name: 'chrome', match: { ja4: CHROME_JA4 }, action: 'block' }],
    });
    expect(guard.connectionHook()(event(), SOCKET)).toBe('accept');
  });

  test('connection rule skipped at request', async () => {
    const guard = guardWith({
      rules: [{ name: 'chrome', stage: 'connection', match: { ja4: CHROME_JA4 }, action: 'block' }],
    });
    const decision = await guard.check(context());
    expect(decision.action).toBe('pass');
    expect(guard.stats().requestDecisions.byAction.pass).toBe(1);
  });

  test('connection allow leaves request rules', async () => {
    const guard = guardWith({
      rules: [
        { name: 'trusted', stage: 'connection', action: 'allow' },
        { name: 'api', match: { path: '/api/' }, action: 'block' },
      ],
    });
    expect(guard.connectionHook()(event(), SOCKET)).toBe('accept');
    expect((await guard.check(context({ path: '/api/users' }))).action).toBe('block');
  });

  test('connection rate limit separate from request', async () => {
    const guard = guardWith({
      rules: [
        {
          name: 'per-connection',
          stage: 'connection',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 60 },
        },
      ],
    });
    expect((await guard.check(context())).action).toBe('pass');
    expect((await guard.check(context())).action).toBe('pass');
    expect(await guard.connectionHook()(event(), SOCKET)).toBe('accept');
  });
});

describe('dry run at connection', () => {
  test('blocklist hit accepted and reported', async () => {
    const logger = recordingLogger();
    const guard = guardWith({ mode: 'dry-run', logger });
    await guard.blocklist.add(CHROME_JA4);
    const reported: Decision[] = [];
    const hook = guard.connectionHook({ onDrop: (decision) => reported.push(decision) });

    for (let i = 0; i < 3; i++) {
      expect(hook(event(), SOCKET)).toBe('accept');
    }
    expect(reported).toHaveLength(3);
    expect(reported[0]?.enforced).toBe(false);
    expect(reported[0]?.reason).toBe('blocklist');

    const infos = logger.calls.filter((call) => call.level === 'info');
    expect(infos).toHaveLength(1);
    expect(infos[0]?.object).toMatchObject({ reason: 'blocklist', ja4: CHROME_JA4, suppressed: 0 });

    vi.advanceTimersByTime(60_000);
    hook(event(), SOCKET);
    const later = logger.calls.filter((call) => call.level === 'info');
    expect(later).toHaveLength(2);
    expect(later[1]?.object).toMatchObject({ suppressed: 2 });
    expect(guard.stats().connectionDecisions.byAction.block).toBe(4);
  });

  test('rule block accepted', () => {
    const guard = guardWith({
      mode: 'dry-run',
      rules: [{ name: 'all', stage: 'connection', action: 'block' }],
    });
    expect(guard.connectionHook()(event(), SOCKET)).toBe('accept');
  });
});

describe('onDrop', () => {
  test('called on enforced drop', async () => {
    const guard = guardWith();
    await guard.blocklist.add(CHROME_JA4);
    const onDrop = vi.fn();
    const hook = guard.connectionHook({ onDrop });
    const input = event();
    hook(input, SOCKET);
    hook(event(CURL_JA4), SOCKET);
    expect(onDrop).toHaveBeenCalledTimes(1);
    expect(onDrop.mock.calls[0]?.[0]).toMatchObject({ action: 'block', enforced: true });
    expect(onDrop.mock.calls[0]?.[1]).toBe(input);
  });

  test('throwing callback keeps verdict', async () => {
    const logger = recordingLogger();
    const guard = guardWith({ logger });
    await guard.blocklist.add(CHROME_JA4);
    const hook = guard.connectionHook({
      onDrop: () => {
        throw new Error('report failed');
      },
    });
    expect(hook(event(), SOCKET)).toBe('drop');
    expect(hook(event(), SOCKET)).toBe('drop');
    const errors = logger.calls.filter((call) => call.level === 'error');
    expect(errors).toHaveLength(1);
  });

  test('non-function rejected', () => {
    const guard = guardWith();
    expect(() => guard.connectionHook({ onDrop: 'log' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_JA4GUARD_INVALID_OPTION', option: 'onDrop' }),
    );
  });
});

describe('connection rule validation', () => {
  test.each([
    ['path', { path: '/api/' }, 'rules[0].match.path'],
    ['method', { ja4: CHROME_JA4, method: 'POST' }, 'rules[0].match.method'],
    ['userAgent', { userAgent: 'curl/' }, 'rules[0].match.userAgent'],
    ['nested not', { not: { userAgent: 'curl/' } }, 'rules[0].match.not.userAgent'],
    ['nested any', { any: [{ ja4: CHROME_JA4 }, { path: '/' }] }, 'rules[0].match.any[1].path'],
    ['nested all', { all: [{ not: { method: 'GET' } }] }, 'rules[0].match.all[0].not.method'],
  ])('%s rejected', (_name, match, option) => {
    expect(() =>
      createGuard({ rules: [{ name: 'early', stage: 'connection', match, action: 'block' }] }),
    ).toThrow(
      expect.objectContaining({ code: 'ERR_JA4GUARD_INVALID_RULE', rule: 'early', option }),
    );
  });

  test('request stage keeps path', () => {
    const guard = guardWith({
      rules: [{ name: 'api', stage: 'request', match: { path: '/api/' }, action: 'block' }],
    });
    expect(guard.mode).toBe('enforce');
  });

  test('unknown stage rejected', () => {
    expect(() =>
      createGuard({ rules: [{ name: 'early', stage: 'handshake' as never, action: 'block' }] }),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_JA4GUARD_INVALID_RULE',
        rule: 'early',
        option: 'rules[0].stage',
        value: 'handshake',
      }),
    );
  });

  test('connection fields accepted', () => {
    const guard = guardWith({
      rules: [
        {
          name: 'early',
          stage: 'connection',
          match: {
            ja4: 't13d*',
            ja3: 'cd08e31494f9531f560d64c695473da9',
            ip: '10.0.0.0/8',
            sni: '*.example.com',
            alpn: 'h2',
            missing: false,
            not: { ip: '10.1.0.0/16' },
            any: [{ sni: 'www.example.com' }, { alpn: 'http/1.1' }],
            predicate: () => true,
          },
          action: 'block',
        },
      ],
    });
    expect(guard.mode).toBe('enforce');
  });
});
