import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  createDecisionResponder,
  createGuard,
  type Decision,
  type DecisionResponseOptions,
  decisionHeaders,
  decisionResponse,
  type Guard,
} from '../../src/index.js';
import { CHROME_JA4, context } from '../helpers/context.js';

/** A policy lookup like the guard's, for a rule `api` of 100 requests per 60 seconds. */
const policies: DecisionResponseOptions['guard'] = {
  rateLimitPolicy: (rule) => (rule === 'api' ? { limit: 100, windowSeconds: 60 } : null),
};

function decision(overrides: Partial<Decision> = {}): Decision {
  return {
    action: 'pass',
    rule: null,
    reason: null,
    enforced: true,
    key: null,
    limit: null,
    remaining: null,
    resetMs: null,
    retryAfterMs: null,
    logs: [],
    ban: null,
    ...overrides,
  };
}

/** Builds a limit decision of rule `api`: 100 per window, nothing left. */
function limited(overrides: Partial<Decision> = {}): Decision {
  return decision({
    action: 'limit',
    rule: 'api',
    reason: 'rule',
    key: `${CHROME_JA4}|203.0.113.7`,
    limit: 100,
    remaining: 0,
    resetMs: 42_500,
    retryAfterMs: 42_500,
    ...overrides,
  });
}

/** Builds a pass decision that reports the counters of rule `api`. */
function counted(remaining: number): Decision {
  return decision({ rule: 'api', limit: 100, remaining, resetMs: 30_000 });
}

describe('decisionResponse status', () => {
  test('block is 403 without headers', () => {
    const response = decisionResponse(decision({ action: 'block', rule: 'bots', reason: 'rule' }));
    expect(response?.statusCode).toBe(403);
    expect(response?.headers).toEqual({});
    expect(response?.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'Blocked by rule "bots".',
      rule: 'bots',
      reason: 'rule',
    });
  });

  test('blocklist hit has no rule', () => {
    const response = decisionResponse(
      decision({ action: 'block', reason: 'blocklist', key: CHROME_JA4 }),
    );
    expect(response?.statusCode).toBe(403);
    expect(response?.body.rule).toBeNull();
    expect(response?.body.reason).toBe('blocklist');
    expect(response?.body.message).toBe('This client is on the blocklist.');
  });

  test('store outage block is 403', () => {
    const response = decisionResponse(
      decision({ action: 'block', rule: 'api', reason: 'store-unavailable' }),
    );
    expect(response?.statusCode).toBe(403);
    expect(response?.body.reason).toBe('store-unavailable');
  });

  test('limit is 429 with body', () => {
    const response = decisionResponse(limited(), { guard: policies });
    expect(response?.statusCode).toBe(429);
    expect(response?.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Rate limit "api" exceeded; retry in 43 seconds.',
      rule: 'api',
      reason: 'rule',
      retryAfterSeconds: 43,
    });
  });

  test.each([
    ['allow', decision({ action: 'allow', rule: 'office', reason: 'rule' })],
    ['pass', counted(5)],
    ['log', decision({ action: 'log', logs: ['old-tls'] })],
    ['dry-run block', decision({ action: 'block', rule: 'bots', reason: 'rule', enforced: false })],
    ['dry-run limit', limited({ enforced: false })],
  ])('%s goes on', (_name, input) => {
    expect(decisionResponse(input)).toBeNull();
  });
});

describe('rate-limit headers', () => {
  const cases: Array<{
    name: string;
    decision: Decision;
    options: DecisionResponseOptions;
    headers: Record<string, string>;
  }> = [
    {
      name: 'draft on limit',
      decision: limited(),
      options: { guard: policies },
      headers: {
        'Retry-After': '43',
        'RateLimit-Policy': '"api";q=100;w=60',
        RateLimit: '"api";r=0;t=43',
      },
    },
    {
      name: 'draft without window lookup',
      decision: limited(),
      options: {},
      headers: {
        'Retry-After': '43',
        'RateLimit-Policy': '"api";q=100',
        RateLimit: '"api";r=0;t=43',
      },
    },
    {
      name: 'legacy on limit',
      decision: limited(),
      options: { rateLimitHeaders: 'legacy' },
      headers: {
        'Retry-After': '43',
        'RateLimit-Limit': '100',
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': '43',
      },
    },
    {
      name: 'off on limit',
      decision: limited(),
      options: { rateLimitHeaders: false },
      headers: { 'Retry-After': '43' },
    },
    {
      name: 'draft on pass',
      decision: counted(5),
      options: { guard: policies },
      headers: { 'RateLimit-Policy': '"api";q=100;w=60', RateLimit: '"api";r=5;t=30' },
    },
    {
      name: 'remaining zero on pass',
      decision: counted(0),
      options: { guard: policies },
      headers: { 'RateLimit-Policy': '"api";q=100;w=60', RateLimit: '"api";r=0;t=30' },
    },
    {
      name: 'legacy on pass',
      decision: counted(5),
      options: { rateLimitHeaders: 'legacy' },
      headers: { 'RateLimit-Limit': '100', 'RateLimit-Remaining': '5', 'RateLimit-Reset': '30' },
    },
    {
      name: 'headersOnPass false',
      decision: counted(5),
      options: { headersOnPass: false },
      headers: {},
    },
    {
      name: 'headersOnPass false keeps limit headers',
      decision: limited(),
      options: { headersOnPass: false, rateLimitHeaders: 'legacy' },
      headers: {
        'Retry-After': '43',
        'RateLimit-Limit': '100',
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': '43',
      },
    },
    {
      name: 'pass without rate limit',
      decision: decision(),
      options: {},
      headers: {},
    },
    {
      name: 'log under rate limit',
      decision: decision({ ...counted(7), action: 'log', logs: ['old-tls'] }),
      options: { guard: policies },
      headers: { 'RateLimit-Policy': '"api";q=100;w=60', RateLimit: '"api";r=7;t=30' },
    },
    {
      name: 'dry-run limit',
      decision: limited({ enforced: false }),
      options: {},
      headers: {},
    },
    {
      name: 'block',
      decision: decision({ action: 'block', rule: 'bots', reason: 'rule' }),
      options: {},
      headers: {},
    },
  ];

  test.each(cases)('$name', ({ decision: input, options, headers }) => {
    expect(decisionHeaders(input, options)).toEqual(headers);
  });

  test('limit response carries headers', () => {
    expect(decisionResponse(limited(), { guard: policies })?.headers).toEqual(
      decisionHeaders(limited(), { guard: policies }),
    );
  });
});

describe('Retry-After rounding', () => {
  test.each([
    [0, '1'],
    [1, '1'],
    [999, '1'],
    [1000, '1'],
    [1001, '2'],
    [59_000, '59'],
    [59_001, '60'],
  ])('%i ms gives %s s', (milliseconds, seconds) => {
    const headers = decisionHeaders(limited({ resetMs: milliseconds, retryAfterMs: milliseconds }));
    expect(headers['Retry-After']).toBe(seconds);
  });

  test('never before window end', () => {
    const headers = decisionHeaders(limited({ resetMs: 1001, retryAfterMs: 1001 }));
    const windowEnd = Number(/;t=(\d+)$/.exec(headers.RateLimit ?? '')?.[1]);
    expect(Number(headers['Retry-After'])).toBeGreaterThanOrEqual(windowEnd);
  });
});

describe('policy name', () => {
  test.each([
    ['plain', 'api', '"api"'],
    ['quote and backslash', 'a"b\\c', '"a\\"b\\\\c"'],
    ['non-ASCII', 'übung', '"%C3%BCbung"'],
    ['control character', 'a\nb', '"a%0Ab"'],
    ['lone surrogate', 'a\ud800b', '"a%EF%BF%BDb"'],
  ])('%s', (_name, rule, serialized) => {
    const headers = decisionHeaders(decision({ rule, limit: 10, remaining: 3, resetMs: 1000 }));
    expect(headers.RateLimit).toBe(`${serialized};r=3;t=1`);
  });
});

describe('response options', () => {
  test.each([
    ['rateLimitHeaders', { rateLimitHeaders: 'ietf' }],
    ['headersOnPass', { headersOnPass: 'yes' }],
    ['guard', { guard: {} }],
    ['buildBody', { buildBody: 'text' }],
    ['ratelimitHeaders', { ratelimitHeaders: 'draft' }],
  ])('invalid %s', (option, options) => {
    expect(() => createDecisionResponder(options as never)).toThrow(
      expect.objectContaining({ code: 'ERR_JA4GUARD_INVALID_OPTION', option }),
    );
  });

  test('buildBody replaces body', () => {
    const responder = createDecisionResponder<{ id: string }>({
      buildBody: (input, request) => ({ blocked: input.rule, requestId: request.id }),
    });
    const response = responder.respond(
      decision({ action: 'block', rule: 'bots', reason: 'rule' }),
      {
        id: 'r-1',
      },
    );
    expect(response?.statusCode).toBe(403);
    expect(response?.body).toEqual({ blocked: 'bots', requestId: 'r-1' });
  });

  test('buildBody skipped when request goes on', () => {
    const buildBody = vi.fn();
    const responder = createDecisionResponder({ buildBody });
    expect(responder.respond(counted(5), {})).toBeNull();
    expect(buildBody).not.toHaveBeenCalled();
  });

  test('responder headers match function', () => {
    const responder = createDecisionResponder({ rateLimitHeaders: 'legacy' });
    expect(responder.headers(counted(5))).toEqual(
      decisionHeaders(counted(5), { rateLimitHeaders: 'legacy' }),
    );
  });
});

describe('responses from a guard', () => {
  const guards: Guard[] = [];

  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(guards.splice(0).map((guard) => guard.close()));
  });

  test('limit rule to 429', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const guard = createGuard({
      rules: [{ name: 'api', action: 'rateLimit', rateLimit: { points: 2, duration: 10 } }],
    });
    guards.push(guard);
    const responder = createDecisionResponder({ guard });

    const first = await guard.check(context());
    expect(responder.respond(first, null)).toBeNull();
    expect(responder.headers(first)).toEqual({
      'RateLimit-Policy': '"api";q=2;w=10',
      RateLimit: '"api";r=1;t=10',
    });

    await guard.check(context());
    vi.advanceTimersByTime(2500);
    const third = await guard.check(context());
    const response = responder.respond(third, null);
    expect(response?.statusCode).toBe(429);
    expect(response?.headers).toEqual({
      'Retry-After': '8',
      'RateLimit-Policy': '"api";q=2;w=10',
      RateLimit: '"api";r=0;t=8',
    });
  });

  test('rateLimitPolicy of unknown rule', () => {
    const guard = createGuard({ rules: [{ name: 'bots', action: 'block' }] });
    guards.push(guard);
    expect(guard.rateLimitPolicy('bots')).toBeNull();
    expect(guard.rateLimitPolicy('missing')).toBeNull();
  });
});
