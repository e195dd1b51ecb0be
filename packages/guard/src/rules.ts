import { checkConnectionMatch, readRuleStage } from './connection/rule-stage.js';
import { GuardError, GuardErrorCode } from './errors.js';
import { compileMatch, type MatchTest } from './match.js';
import type { RequestView } from './request-view.js';
import type { GuardContext, RuleStage } from './types.js';

/** Seconds over which exceeded windows count toward a ban, when `ban.periodSeconds` is not set. */
export const DEFAULT_BAN_PERIOD_SECONDS = 3600;

/** A compiled ban setting. */
export interface CompiledBan {
  readonly after: number;
  readonly ttlSeconds: number;
  readonly scope: 'ja4' | 'ja4+ip';
  readonly periodSeconds: number;
}

/** A compiled rate-limit setting. */
export interface CompiledRateLimit {
  readonly points: number;
  readonly duration: number;
  readonly blockDuration: number;
  /** Returns the counter key, or null when a custom key function failed. */
  readonly key: (view: RequestView) => string | null;
  readonly ban: CompiledBan | null;
}

/** A validated rule with its match compiled. */
export type CompiledRule =
  | {
      readonly kind: 'allow' | 'block' | 'log';
      readonly name: string;
      readonly stage: RuleStage;
      readonly test: MatchTest;
    }
  | {
      readonly kind: 'rateLimit';
      readonly name: string;
      readonly stage: RuleStage;
      readonly test: MatchTest;
      readonly limit: CompiledRateLimit;
    };

/** Callbacks for user functions that throw during a check. */
export interface RuleHooks {
  readonly onPredicateError: (rule: string, error: unknown) => void;
  readonly onKeyError: (rule: string, error: unknown) => void;
}

const RULE_KEYS: ReadonlySet<string> = new Set(['name', 'match', 'action', 'rateLimit', 'stage']);
const RATE_LIMIT_KEYS: ReadonlySet<string> = new Set([
  'points',
  'duration',
  'key',
  'blockDuration',
  'ban',
]);
const BAN_KEYS: ReadonlySet<string> = new Set(['after', 'ttlSeconds', 'scope', 'periodSeconds']);
const ACTIONS: ReadonlySet<string> = new Set(['allow', 'block', 'log', 'rateLimit']);
const MATCH_EVERYTHING: MatchTest = () => true;

function invalidRule(
  rule: string | null,
  option: string,
  value: unknown,
  hint: string,
): GuardError {
  return new GuardError(GuardErrorCode.INVALID_RULE, 'Invalid rule', { rule, option, value, hint });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(
  object: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  rule: string | null,
  option: string,
): void {
  for (const key of Object.keys(object)) {
    if (!allowed.has(key)) {
      throw invalidRule(
        rule,
        `${option}.${key}`,
        key,
        `Unknown setting; use one of ${[...allowed].join(', ')}.`,
      );
    }
  }
}

function requireInteger(
  value: unknown,
  min: number,
  rule: string,
  option: string,
  unit: string,
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalidRule(rule, option, value, `Pass a whole number of ${unit}, at least ${min}.`);
  }
  return value;
}

function compileKey(
  value: unknown,
  rule: string,
  option: string,
  hooks: RuleHooks,
): CompiledRateLimit['key'] {
  switch (value) {
    case undefined:
    case 'ja4+ip':
      return (view) => `${view.ja4}|${view.clientIp}`;
    case 'ja4':
      return (view) => view.ja4;
    case 'ip':
      return (view) => view.clientIp;
  }
  if (typeof value !== 'function') {
    throw invalidRule(
      rule,
      option,
      value,
      "Use 'ja4', 'ip', 'ja4+ip' or a function (context) => string.",
    );
  }

  const keyOf = value as (context: GuardContext) => unknown;
  return (view) => {
    let key: unknown;
    try {
      key = keyOf(view.context);
    } catch (error) {
      hooks.onKeyError(rule, error);
      return null;
    }
    if (typeof key !== 'string' || key === '') {
      hooks.onKeyError(
        rule,
        new TypeError(`The key function returned ${typeof key}, not a non-empty string`),
      );
      return null;
    }
    return key;
  };
}

function compileBan(value: unknown, rule: string, option: string): CompiledBan | null {
  if (value === undefined) {
    return null;
  }
  if (!isPlainObject(value)) {
    throw invalidRule(rule, option, value, 'Pass { after, ttlSeconds, scope?, periodSeconds? }.');
  }
  checkKeys(value, BAN_KEYS, rule, option);

  const after = requireInteger(value.after, 1, rule, `${option}.after`, 'exceeded windows');
  const { ttlSeconds } = value;
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw invalidRule(
      rule,
      `${option}.ttlSeconds`,
      ttlSeconds,
      'Pass the ban length as a positive number of seconds.',
    );
  }
  const scope = value.scope ?? 'ja4+ip';
  if (scope !== 'ja4' && scope !== 'ja4+ip') {
    throw invalidRule(rule, `${option}.scope`, scope, "Use 'ja4' or 'ja4+ip'.");
  }
  const periodSeconds =
    value.periodSeconds === undefined
      ? DEFAULT_BAN_PERIOD_SECONDS
      : requireInteger(value.periodSeconds, 1, rule, `${option}.periodSeconds`, 'seconds');
  return { after, ttlSeconds, scope, periodSeconds };
}

function compileRateLimit(
  value: unknown,
  rule: string,
  option: string,
  hooks: RuleHooks,
): CompiledRateLimit {
  if (!isPlainObject(value)) {
    throw invalidRule(
      rule,
      option,
      value,
      'A rateLimit rule needs rateLimit: { points, duration, key?, blockDuration?, ban? }.',
    );
  }
  checkKeys(value, RATE_LIMIT_KEYS, rule, option);
  return {
    points: requireInteger(value.points, 1, rule, `${option}.points`, 'requests'),
    duration: requireInteger(value.duration, 1, rule, `${option}.duration`, 'seconds'),
    blockDuration:
      value.blockDuration === undefined
        ? 0
        : requireInteger(value.blockDuration, 0, rule, `${option}.blockDuration`, 'seconds'),
    key: compileKey(value.key, rule, `${option}.key`, hooks),
    ban: compileBan(value.ban, rule, `${option}.ban`),
  };
}

function compileRule(
  value: unknown,
  option: string,
  names: Set<string>,
  hooks: RuleHooks,
): CompiledRule {
  if (!isPlainObject(value)) {
    throw invalidRule(null, option, value, 'Pass a rule object { name, match?, action }.');
  }
  const { name, match, action } = value;
  if (typeof name !== 'string' || name === '') {
    throw invalidRule(null, `${option}.name`, name, 'Give every rule a non-empty string name.');
  }
  if (names.has(name)) {
    throw invalidRule(
      name,
      `${option}.name`,
      name,
      'Rule names must be unique; rename one of the rules.',
    );
  }
  names.add(name);
  checkKeys(value, RULE_KEYS, name, option);

  if (typeof action !== 'string' || !ACTIONS.has(action)) {
    throw invalidRule(
      name,
      `${option}.action`,
      action,
      "Use 'allow', 'block', 'log' or 'rateLimit'.",
    );
  }
  if (action !== 'rateLimit' && value.rateLimit !== undefined) {
    throw invalidRule(
      name,
      `${option}.rateLimit`,
      value.rateLimit,
      "rateLimit settings need action: 'rateLimit'.",
    );
  }

  const stage = readRuleStage(value.stage, name, `${option}.stage`);
  const scope = { rule: name, onPredicateError: hooks.onPredicateError };
  const test =
    match === undefined ? MATCH_EVERYTHING : compileMatch(match, `${option}.match`, scope);
  if (stage === 'connection' && match !== undefined) {
    checkConnectionMatch(match, `${option}.match`, name);
  }
  if (action === 'rateLimit') {
    return {
      kind: 'rateLimit',
      name,
      stage,
      test,
      limit: compileRateLimit(value.rateLimit, name, `${option}.rateLimit`, hooks),
    };
  }
  return { kind: action as 'allow' | 'block' | 'log', name, stage, test };
}

/**
 * Validates and compiles the rules in order. Throws a `GuardError` with the
 * rule name and option path of the first invalid value.
 */
export function compileRules(rules: unknown, hooks: RuleHooks): CompiledRule[] {
  if (rules === undefined) {
    return [];
  }
  if (!Array.isArray(rules)) {
    throw new GuardError(GuardErrorCode.INVALID_OPTION, 'Invalid guard option', {
      option: 'rules',
      value: rules,
      hint: 'Pass an array of rules.',
    });
  }
  const names = new Set<string>();
  return rules.map((rule: unknown, index) => compileRule(rule, `rules[${index}]`, names, hooks));
}
