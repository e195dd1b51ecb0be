import { afterEach, describe, expect, test } from 'vitest';
import {
  createGuard,
  type Decision,
  type Guard,
  type GuardContext,
  type RuleMatch,
} from '../src/index.js';
import {
  CHROME_JA3,
  CHROME_JA4,
  CURL_JA4,
  context,
  fingerprint,
  recordingLogger,
} from './helpers/context.js';

const guards: Guard[] = [];

afterEach(async () => {
  await Promise.all(guards.splice(0).map((guard) => guard.close()));
});

function blockGuard(match: RuleMatch, logger = recordingLogger()): Guard {
  const guard = createGuard({ rules: [{ name: 'under-test', match, action: 'block' }], logger });
  guards.push(guard);
  return guard;
}

function decide(guard: Guard, request: GuardContext): Decision {
  const result = guard.evaluate(request);
  if (result instanceof Promise) {
    throw new Error('a guard without rate limits must decide without a promise');
  }
  return result;
}

interface MatchCase {
  readonly name: string;
  readonly match: RuleMatch;
  readonly request: GuardContext;
  readonly matches: boolean;
}

const noFingerprint = context({ fingerprint: null });

const cases: MatchCase[] = [
  { name: 'exact ja4 hit', match: { ja4: CHROME_JA4 }, request: context(), matches: true },
  { name: 'exact ja4 miss', match: { ja4: CURL_JA4 }, request: context(), matches: false },
  {
    name: 'ja4 list hit',
    match: { ja4: [CURL_JA4, CHROME_JA4] },
    request: context(),
    matches: true,
  },
  {
    name: 'ja4 uppercase hash',
    match: { ja4: 't13d1516h2_8DAAF6152771_E5627EFA2AB1' },
    request: context(),
    matches: true,
  },
  {
    name: 'ja4 pattern hit',
    match: { ja4: 't13d*_8daaf6152771_*' },
    request: context(),
    matches: true,
  },
  { name: 'ja4 pattern miss', match: { ja4: 't12d*' }, request: context(), matches: false },
  {
    name: 'ja4 mixed list',
    match: { ja4: [CURL_JA4, 't1?d*'] },
    request: context(),
    matches: true,
  },
  { name: 'ja4 without fingerprint', match: { ja4: '*' }, request: noFingerprint, matches: false },
  { name: 'ja4 empty list', match: { ja4: [] }, request: context(), matches: false },
  { name: 'ja3 hit', match: { ja3: CHROME_JA3.toUpperCase() }, request: context(), matches: true },
  { name: 'ja3 miss', match: { ja3: 'f'.repeat(32) }, request: context(), matches: false },
  { name: 'ip exact hit', match: { ip: '203.0.113.7' }, request: context(), matches: true },
  { name: 'ip cidr hit', match: { ip: '203.0.113.0/24' }, request: context(), matches: true },
  { name: 'ip cidr miss', match: { ip: '198.51.100.0/24' }, request: context(), matches: false },
  {
    name: 'ip mapped hit',
    match: { ip: '203.0.113.0/24' },
    request: context({ ip: '::ffff:203.0.113.9' }),
    matches: true,
  },
  {
    name: 'ip v6 hit',
    match: { ip: '2001:db8::/32' },
    request: context({ ip: '2001:db8::42' }),
    matches: true,
  },
  {
    name: 'ip without fingerprint',
    match: { ip: '203.0.113.7' },
    request: noFingerprint,
    matches: true,
  },
  { name: 'sni exact hit', match: { sni: 'WWW.example.com' }, request: context(), matches: true },
  { name: 'sni wildcard hit', match: { sni: '*.example.com' }, request: context(), matches: true },
  {
    name: 'sni wildcard deep',
    match: { sni: '*.example.com' },
    request: context({ fingerprint: fingerprint({ serverName: 'a.b.example.com' }) }),
    matches: true,
  },
  {
    name: 'sni wildcard apex',
    match: { sni: '*.example.com' },
    request: context({ fingerprint: fingerprint({ serverName: 'example.com' }) }),
    matches: false,
  },
  {
    name: 'sni absent',
    match: { sni: 'www.example.com' },
    request: context({ fingerprint: fingerprint({ serverName: null }) }),
    matches: false,
  },
  { name: 'alpn hit', match: { alpn: 'http/1.1' }, request: context(), matches: true },
  { name: 'alpn miss', match: { alpn: 'h3' }, request: context(), matches: false },
  {
    name: 'alpn none offered',
    match: { alpn: 'h2' },
    request: context({ fingerprint: fingerprint({ alpnProtocols: [] }) }),
    matches: false,
  },
  { name: 'method hit', match: { method: ['post', 'GET'] }, request: context(), matches: true },
  { name: 'method miss', match: { method: 'POST' }, request: context(), matches: false },
  {
    name: 'path prefix hit',
    match: { path: '/api/' },
    request: context({ path: '/api/login' }),
    matches: true,
  },
  {
    name: 'path prefix miss',
    match: { path: '/api/' },
    request: context({ path: '/apix' }),
    matches: false,
  },
  {
    name: 'path regexp hit',
    match: { path: /^\/users\/\d+$/ },
    request: context({ path: '/users/42' }),
    matches: true,
  },
  {
    name: 'path global regexp',
    match: { path: /login/g },
    request: context({ path: '/login' }),
    matches: true,
  },
  {
    name: 'user agent substring',
    match: { userAgent: 'CHROME/' },
    request: context(),
    matches: true,
  },
  {
    name: 'user agent regexp',
    match: { userAgent: /^curl\/\d/ },
    request: context({ headers: { 'user-agent': 'curl/8.5.0' } }),
    matches: true,
  },
  {
    name: 'user agent repeated header',
    match: { userAgent: 'curl' },
    request: context({ headers: { 'user-agent': ['curl/8', 'x'] } }),
    matches: true,
  },
  {
    name: 'user agent absent',
    match: { userAgent: /.*/ },
    request: context({ headers: {} }),
    matches: false,
  },
  { name: 'missing true hit', match: { missing: true }, request: noFingerprint, matches: true },
  { name: 'missing true miss', match: { missing: true }, request: context(), matches: false },
  { name: 'missing false hit', match: { missing: false }, request: context(), matches: true },
  {
    name: 'fields are and-ed',
    match: { ja4: CHROME_JA4, method: 'POST' },
    request: context(),
    matches: false,
  },
  { name: 'not inverts', match: { not: { ip: '10.0.0.0/8' } }, request: context(), matches: true },
  { name: 'not of hit', match: { not: { ja4: CHROME_JA4 } }, request: context(), matches: false },
  {
    name: 'all every hit',
    match: { all: [{ ja4: 't13d*' }, { alpn: 'h2' }] },
    request: context(),
    matches: true,
  },
  {
    name: 'all one miss',
    match: { all: [{ ja4: 't13d*' }, { alpn: 'h3' }] },
    request: context(),
    matches: false,
  },
  {
    name: 'any one hit',
    match: { any: [{ alpn: 'h3' }, { method: 'GET' }] },
    request: context(),
    matches: true,
  },
  {
    name: 'any none hit',
    match: { any: [{ alpn: 'h3' }, { method: 'PUT' }] },
    request: context(),
    matches: false,
  },
  {
    name: 'nested combinators',
    match: { any: [{ not: { all: [{ missing: false }, { method: 'GET' }] } }, { path: '/x' }] },
    request: context(),
    matches: false,
  },
  {
    name: 'predicate true',
    match: { predicate: (request) => request.host === 'www.example.com' },
    request: context(),
    matches: true,
  },
  {
    name: 'predicate false',
    match: { predicate: () => false },
    request: context(),
    matches: false,
  },
];

describe('match kinds', () => {
  test.each(cases)('$name', ({ match, request, matches }) => {
    const decision = decide(blockGuard(match), request);
    expect(decision.action).toBe(matches ? 'block' : 'pass');
    expect(decision.rule).toBe(matches ? 'under-test' : null);
  });
});

describe('predicate errors', () => {
  test('throwing predicate counts as no match', () => {
    const logger = recordingLogger();
    const guard = blockGuard(
      {
        predicate: () => {
          throw new Error('boom');
        },
      },
      logger,
    );
    expect(decide(guard, context()).action).toBe('pass');
    expect(decide(guard, context()).action).toBe('pass');
    const errors = logger.calls.filter((call) => call.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.object).toMatchObject({ rule: 'under-test' });
  });
});

describe('rule order', () => {
  test('allow stops before block', () => {
    const guard = createGuard({
      rules: [
        { name: 'office', match: { ip: '203.0.113.0/24' }, action: 'allow' },
        { name: 'everyone', action: 'block' },
      ],
    });
    guards.push(guard);
    const decision = decide(guard, context());
    expect(decision.action).toBe('allow');
    expect(decision.rule).toBe('office');
    expect(decision.reason).toBe('rule');
  });

  test('log rules accumulate and continue', () => {
    const guard = createGuard({
      rules: [
        { name: 'seen-chrome', match: { ja4: 't13d*' }, action: 'log' },
        { name: 'seen-get', match: { method: 'GET' }, action: 'log' },
        { name: 'seen-post', match: { method: 'POST' }, action: 'log' },
        { name: 'no-fingerprint', match: { missing: true }, action: 'block' },
      ],
    });
    guards.push(guard);
    const decision = decide(guard, context());
    expect(decision.action).toBe('log');
    expect(decision.rule).toBeNull();
    expect(decision.logs).toEqual(['seen-chrome', 'seen-get']);
  });

  test('logs travel with block', () => {
    const guard = createGuard({
      rules: [
        { name: 'seen', action: 'log' },
        { name: 'deny', match: { ja4: CHROME_JA4 }, action: 'block' },
      ],
    });
    guards.push(guard);
    const decision = decide(guard, context());
    expect(decision.action).toBe('block');
    expect(decision.logs).toEqual(['seen']);
  });
});
