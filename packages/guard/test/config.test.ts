import { describe, expect, test } from 'vitest';
import { createGuard, GuardError, type GuardOptions } from '../src/index.js';
import { createClient } from './helpers/redis.js';

interface ErrorCase {
  readonly name: string;
  readonly options: unknown;
  readonly code: string;
  readonly rule: string | null;
  readonly option: string;
  readonly value: unknown;
}

const predicate = () => true;
const incompleteLogger = { info: () => {} };

const cases: ErrorCase[] = [
  {
    name: 'unknown option',
    options: { failclosed: true },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'failclosed',
    value: 'failclosed',
  },
  {
    name: 'mode',
    options: { mode: 'audit' },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'mode',
    value: 'audit',
  },
  {
    name: 'maxKeys zero',
    options: { maxKeys: 0 },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'maxKeys',
    value: 0,
  },
  {
    name: 'maxKeys fraction',
    options: { maxKeys: 1.5 },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'maxKeys',
    value: 1.5,
  },
  {
    name: 'failClosed',
    options: { failClosed: 'yes' },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'failClosed',
    value: 'yes',
  },
  {
    name: 'redisTimeoutMs',
    options: { redisTimeoutMs: -1 },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'redisTimeoutMs',
    value: -1,
  },
  {
    name: 'redisProbeIntervalMs',
    options: { redisProbeIntervalMs: 1 },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'redisProbeIntervalMs',
    value: 1,
  },
  {
    name: 'blocklistSyncIntervalMs',
    options: { blocklistSyncIntervalMs: Number.NaN },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'blocklistSyncIntervalMs',
    value: Number.NaN,
  },
  {
    name: 'keyPrefix',
    options: { keyPrefix: 7 },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'keyPrefix',
    value: 7,
  },
  {
    name: 'logger',
    options: { logger: incompleteLogger },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'logger',
    value: incompleteLogger,
  },
  {
    name: 'store type',
    options: { store: { type: 'disk' } },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'store',
    value: { type: 'disk' },
  },
  {
    name: 'store client',
    options: { store: { type: 'redis', client: {} } },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'store.client',
    value: {},
  },
  {
    name: 'rules not array',
    options: { rules: {} },
    code: 'ERR_JA4GUARD_INVALID_OPTION',
    rule: null,
    option: 'rules',
    value: {},
  },
  {
    name: 'rule not object',
    options: { rules: ['block'] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: null,
    option: 'rules[0]',
    value: 'block',
  },
  {
    name: 'rule name missing',
    options: { rules: [{ action: 'block' }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: null,
    option: 'rules[0].name',
    value: undefined,
  },
  {
    name: 'rule name duplicate',
    options: {
      rules: [
        { name: 'a', action: 'block' },
        { name: 'a', action: 'log' },
      ],
    },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[1].name',
    value: 'a',
  },
  {
    name: 'rule unknown key',
    options: { rules: [{ name: 'a', action: 'block', when: {} }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].when',
    value: 'when',
  },
  {
    name: 'action',
    options: { rules: [{ name: 'a', action: 'deny' }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].action',
    value: 'deny',
  },
  {
    name: 'rateLimit on block',
    options: { rules: [{ name: 'a', action: 'block', rateLimit: { points: 1, duration: 1 } }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].rateLimit',
    value: { points: 1, duration: 1 },
  },
  {
    name: 'rateLimit missing',
    options: { rules: [{ name: 'a', action: 'rateLimit' }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].rateLimit',
    value: undefined,
  },
  {
    name: 'points zero',
    options: { rules: [{ name: 'a', action: 'rateLimit', rateLimit: { points: 0, duration: 1 } }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].rateLimit.points',
    value: 0,
  },
  {
    name: 'duration fraction',
    options: {
      rules: [{ name: 'a', action: 'rateLimit', rateLimit: { points: 1, duration: 0.5 } }],
    },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].rateLimit.duration',
    value: 0.5,
  },
  {
    name: 'blockDuration negative',
    options: {
      rules: [
        {
          name: 'a',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 1, blockDuration: -1 },
        },
      ],
    },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].rateLimit.blockDuration',
    value: -1,
  },
  {
    name: 'rate key',
    options: {
      rules: [
        { name: 'a', action: 'rateLimit', rateLimit: { points: 1, duration: 1, key: 'sni' } },
      ],
    },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].rateLimit.key',
    value: 'sni',
  },
  {
    name: 'rate unknown key',
    options: {
      rules: [{ name: 'a', action: 'rateLimit', rateLimit: { points: 1, duration: 1, window: 5 } }],
    },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].rateLimit.window',
    value: 'window',
  },
  {
    name: 'ban after',
    options: {
      rules: [
        {
          name: 'a',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 1, ban: { after: 0, ttlSeconds: 5 } },
        },
      ],
    },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].rateLimit.ban.after',
    value: 0,
  },
  {
    name: 'ban ttl',
    options: {
      rules: [
        {
          name: 'a',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 1, ban: { after: 1, ttlSeconds: 0 } },
        },
      ],
    },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].rateLimit.ban.ttlSeconds',
    value: 0,
  },
  {
    name: 'ban scope',
    options: {
      rules: [
        {
          name: 'a',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 1, ban: { after: 1, ttlSeconds: 5, scope: 'ip' } },
        },
      ],
    },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].rateLimit.ban.scope',
    value: 'ip',
  },
  {
    name: 'match empty',
    options: { rules: [{ name: 'a', match: {}, action: 'block' }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].match',
    value: {},
  },
  {
    name: 'match unknown',
    options: { rules: [{ name: 'a', match: { country: 'XX' }, action: 'block' }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].match.country',
    value: 'country',
  },
  {
    name: 'ja4 invalid',
    options: { rules: [{ name: 'a', match: { ja4: 't13d_abc' }, action: 'block' }] },
    code: 'ERR_JA4GUARD_INVALID_JA4',
    rule: 'a',
    option: 'rules[0].match.ja4',
    value: 't13d_abc',
  },
  {
    name: 'ja4 list item',
    options: {
      rules: [{ name: 'a', match: { ja4: ['t13d*', 'bad*pattern_x'] }, action: 'block' }],
    },
    code: 'ERR_JA4GUARD_INVALID_JA4',
    rule: 'a',
    option: 'rules[0].match.ja4[1]',
    value: 'bad*pattern_x',
  },
  {
    name: 'ja3 invalid',
    options: { rules: [{ name: 'a', match: { ja3: 'abc' }, action: 'block' }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].match.ja3',
    value: 'abc',
  },
  {
    name: 'ip invalid',
    options: {
      rules: [{ name: 'a', match: { ip: ['10.0.0.0/8', '10.0.0.0/40'] }, action: 'block' }],
    },
    code: 'ERR_JA4GUARD_INVALID_IP',
    rule: 'a',
    option: 'rules[0].match.ip[1]',
    value: '10.0.0.0/40',
  },
  {
    name: 'sni invalid',
    options: { rules: [{ name: 'a', match: { sni: 'a b.com' }, action: 'block' }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].match.sni',
    value: 'a b.com',
  },
  {
    name: 'method invalid',
    options: { rules: [{ name: 'a', match: { method: 'GET POST' }, action: 'block' }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].match.method',
    value: 'GET POST',
  },
  {
    name: 'path invalid',
    options: { rules: [{ name: 'a', match: { path: 5 }, action: 'block' }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].match.path',
    value: 5,
  },
  {
    name: 'missing invalid',
    options: { rules: [{ name: 'a', match: { missing: 'yes' }, action: 'block' }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].match.missing',
    value: 'yes',
  },
  {
    name: 'predicate invalid',
    options: { rules: [{ name: 'a', match: { predicate: 'true' }, action: 'block' }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].match.predicate',
    value: 'true',
  },
  {
    name: 'any empty',
    options: { rules: [{ name: 'a', match: { any: [] }, action: 'block' }] },
    code: 'ERR_JA4GUARD_INVALID_RULE',
    rule: 'a',
    option: 'rules[0].match.any',
    value: [],
  },
  {
    name: 'nested error path',
    options: {
      rules: [
        { name: 'a', match: { all: [{ predicate }, { not: { ip: 'x' } }] }, action: 'block' },
      ],
    },
    code: 'ERR_JA4GUARD_INVALID_IP',
    rule: 'a',
    option: 'rules[0].match.all[1].not.ip',
    value: 'x',
  },
];

function createError(options: unknown): GuardError {
  try {
    createGuard(options as GuardOptions);
  } catch (error) {
    if (error instanceof GuardError) {
      return error;
    }
    throw error;
  }
  throw new Error('createGuard accepted the options');
}

describe('config errors', () => {
  test.each(cases)('$name', ({ options, code, rule, option, value }) => {
    const error = createError(options);
    expect(error.code).toBe(code);
    expect(error.rule).toBe(rule);
    expect(error.option).toBe(option);
    expect(error.value).toEqual(value);
    expect(error.name).toBe('GuardError');
    expect(error.hint.length).toBeGreaterThan(0);
  });

  test('message names rule, option and value', () => {
    const error = createError({
      rules: [{ name: 'bots', match: { ip: '10.0.0.1/8' }, action: 'block' }],
    });
    expect(error.message).toContain('rule "bots"');
    expect(error.message).toContain('rules[0].match.ip');
    expect(error.message).toContain('"10.0.0.1/8"');
    expect(error.message).toContain('10.0.0.0/8');
  });
});

describe('redis client check', () => {
  test('offline queue is rejected', () => {
    const client = createClient(6379, { lazyConnect: true, enableOfflineQueue: true });
    try {
      const error = createError({ store: { type: 'redis', client } });
      expect(error.code).toBe('ERR_JA4GUARD_UNSAFE_REDIS_CLIENT');
      expect(error.option).toBe('store.client.options.enableOfflineQueue');
      expect(error.value).toBe(true);
    } finally {
      client.disconnect();
    }
  });

  test('default client is rejected', () => {
    const client = createClient(6379, { lazyConnect: true, enableOfflineQueue: undefined });
    try {
      expect(createError({ store: { type: 'redis', client } }).code).toBe(
        'ERR_JA4GUARD_UNSAFE_REDIS_CLIENT',
      );
    } finally {
      client.disconnect();
    }
  });
});
