import { GuardError, GuardErrorCode } from './errors.js';
import { IpSet } from './ip.js';
import { compileJa4Pattern, isJa4Pattern, normalizeJa4 } from './ja4.js';
import type { RequestView } from './request-view.js';
import type { GuardContext } from './types.js';

/** A compiled match: true when the request meets the conditions. */
export type MatchTest = (view: RequestView) => boolean;

/** Compile-time inputs of one rule's match. */
export interface MatchScope {
  readonly rule: string;
  /** Called when a predicate throws; the predicate then counts as no match. */
  readonly onPredicateError: (rule: string, error: unknown) => void;
}

const MATCH_KEYS: ReadonlySet<string> = new Set([
  'ja4',
  'ja3',
  'ip',
  'sni',
  'alpn',
  'method',
  'path',
  'userAgent',
  'missing',
  'not',
  'all',
  'any',
  'predicate',
]);

const JA3_HASH = /^[0-9a-f]{32}$/;
// RFC 9110 section 5.6.2 token characters.
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HOST_NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/;

function invalidRule(scope: MatchScope, option: string, value: unknown, hint: string): GuardError {
  return new GuardError(GuardErrorCode.INVALID_RULE, 'Invalid rule', {
    rule: scope.rule,
    option,
    value,
    hint,
  });
}

interface ListItem {
  readonly value: unknown;
  readonly option: string;
}

/** Spreads a one-or-many option into items, each with its own option path. */
function listItems(value: unknown, option: string): ListItem[] {
  if (Array.isArray(value)) {
    return value.map((item: unknown, index) => ({ value: item, option: `${option}[${index}]` }));
  }
  return [{ value, option }];
}

function requireString(item: ListItem, scope: MatchScope, hint: string): string {
  if (typeof item.value !== 'string' || item.value === '') {
    throw invalidRule(scope, item.option, item.value, hint);
  }
  return item.value;
}

/** Copies a regular expression without the `g` and `y` flags, whose `lastIndex` would make `test` stateful. */
function statelessRegExp(pattern: RegExp): RegExp {
  return pattern.global || pattern.sticky
    ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))
    : pattern;
}

function compileJa4(value: unknown, option: string, scope: MatchScope): MatchTest {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const item of listItems(value, option)) {
    const text = requireString(item, scope, 'Pass a JA4 or a JA4 pattern as a non-empty string.');
    const location = { rule: scope.rule, option: item.option };
    if (isJa4Pattern(text)) {
      patterns.push(compileJa4Pattern(text, location));
    } else {
      exact.add(normalizeJa4(text, location));
    }
  }
  return (view) => {
    const fingerprint = view.context.fingerprint;
    if (fingerprint === null) {
      return false;
    }
    if (exact.has(fingerprint.ja4)) {
      return true;
    }
    for (const pattern of patterns) {
      if (pattern.test(fingerprint.ja4)) {
        return true;
      }
    }
    return false;
  };
}

function compileJa3(value: unknown, option: string, scope: MatchScope): MatchTest {
  const hashes = new Set<string>();
  for (const item of listItems(value, option)) {
    const text = requireString(item, scope, 'Pass a JA3 hash: 32 hex characters.').toLowerCase();
    if (!JA3_HASH.test(text)) {
      throw invalidRule(
        scope,
        item.option,
        item.value,
        'A JA3 hash is 32 hex characters (an MD5 digest).',
      );
    }
    hashes.add(text);
  }
  return (view) => {
    const fingerprint = view.context.fingerprint;
    return fingerprint !== null && hashes.has(fingerprint.ja3);
  };
}

function compileIp(value: unknown, option: string, scope: MatchScope): MatchTest {
  const set = new IpSet();
  for (const item of listItems(value, option)) {
    set.add(item.value, { rule: scope.rule, option: item.option });
  }
  return (view) => set.has(view.address);
}

function compileSni(value: unknown, option: string, scope: MatchScope): MatchTest {
  const names = new Set<string>();
  const suffixes: string[] = [];
  const hint = 'Pass a host name such as api.example.com, or *.example.com for its subdomains.';
  for (const item of listItems(value, option)) {
    const text = requireString(item, scope, hint).toLowerCase();
    const wildcard = text.startsWith('*.');
    const host = wildcard ? text.slice(2) : text;
    if (!HOST_NAME.test(host)) {
      throw invalidRule(scope, item.option, item.value, hint);
    }
    if (wildcard) {
      suffixes.push(`.${host}`);
    } else {
      names.add(host);
    }
  }
  return (view) => {
    const serverName = view.context.fingerprint?.serverName;
    if (serverName === null || serverName === undefined) {
      return false;
    }
    const name = serverName.toLowerCase();
    if (names.has(name)) {
      return true;
    }
    for (const suffix of suffixes) {
      if (name.endsWith(suffix)) {
        return true;
      }
    }
    return false;
  };
}

function compileAlpn(value: unknown, option: string, scope: MatchScope): MatchTest {
  const protocols = new Set<string>();
  for (const item of listItems(value, option)) {
    protocols.add(
      requireString(item, scope, 'Pass an ALPN protocol id such as "h2" or "http/1.1".'),
    );
  }
  return (view) => {
    const fingerprint = view.context.fingerprint;
    if (fingerprint === null) {
      return false;
    }
    for (const protocol of fingerprint.alpnProtocols) {
      if (protocols.has(protocol)) {
        return true;
      }
    }
    return false;
  };
}

function compileMethod(value: unknown, option: string, scope: MatchScope): MatchTest {
  const methods = new Set<string>();
  for (const item of listItems(value, option)) {
    const text = requireString(item, scope, 'Pass an HTTP method such as "GET".');
    if (!HTTP_TOKEN.test(text)) {
      throw invalidRule(
        scope,
        item.option,
        item.value,
        'An HTTP method is a token such as "GET" or "POST".',
      );
    }
    methods.add(text.toUpperCase());
  }
  return (view) => methods.has(view.context.method.toUpperCase());
}

/** Splits string and RegExp items; strings go through `transform`. */
function splitTextAndRegExps(
  value: unknown,
  option: string,
  scope: MatchScope,
  hint: string,
  transform: (text: string) => string,
): { texts: string[]; regExps: RegExp[] } {
  const texts: string[] = [];
  const regExps: RegExp[] = [];
  for (const item of listItems(value, option)) {
    if (item.value instanceof RegExp) {
      regExps.push(statelessRegExp(item.value));
    } else {
      texts.push(transform(requireString(item, scope, hint)));
    }
  }
  return { texts, regExps };
}

function compilePath(value: unknown, option: string, scope: MatchScope): MatchTest {
  const { texts: prefixes, regExps } = splitTextAndRegExps(
    value,
    option,
    scope,
    'Pass a path prefix such as "/api/" or a RegExp.',
    (text) => text,
  );
  return (view) => {
    const path = view.context.path;
    for (const prefix of prefixes) {
      if (path.startsWith(prefix)) {
        return true;
      }
    }
    for (const regExp of regExps) {
      if (regExp.test(path)) {
        return true;
      }
    }
    return false;
  };
}

function compileUserAgent(value: unknown, option: string, scope: MatchScope): MatchTest {
  const { texts: substrings, regExps } = splitTextAndRegExps(
    value,
    option,
    scope,
    'Pass a User-Agent substring such as "curl/" or a RegExp.',
    (text) => text.toLowerCase(),
  );
  return (view) => {
    const lower = view.lowerUserAgent;
    if (lower === null) {
      return false;
    }
    for (const substring of substrings) {
      if (lower.includes(substring)) {
        return true;
      }
    }
    const original = view.userAgent as string;
    for (const regExp of regExps) {
      if (regExp.test(original)) {
        return true;
      }
    }
    return false;
  };
}

function compileMissing(value: unknown, option: string, scope: MatchScope): MatchTest {
  if (typeof value !== 'boolean') {
    throw invalidRule(
      scope,
      option,
      value,
      'Pass true to match requests without a fingerprint, false for requests with one.',
    );
  }
  return (view) => (view.context.fingerprint === null) === value;
}

function compilePredicate(value: unknown, option: string, scope: MatchScope): MatchTest {
  if (typeof value !== 'function') {
    throw invalidRule(scope, option, value, 'Pass a function (context) => boolean.');
  }
  const predicate = value as (context: GuardContext) => unknown;
  return (view) => {
    try {
      return predicate(view.context) === true;
    } catch (error) {
      scope.onPredicateError(scope.rule, error);
      return false;
    }
  };
}

function compileList(value: unknown, option: string, scope: MatchScope): MatchTest[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidRule(scope, option, value, 'Pass a non-empty array of match objects.');
  }
  return value.map((item: unknown, index) => compileMatch(item, `${option}[${index}]`, scope));
}

function compileCondition(
  key: string,
  value: unknown,
  option: string,
  scope: MatchScope,
): MatchTest {
  switch (key) {
    case 'ja4':
      return compileJa4(value, option, scope);
    case 'ja3':
      return compileJa3(value, option, scope);
    case 'ip':
      return compileIp(value, option, scope);
    case 'sni':
      return compileSni(value, option, scope);
    case 'alpn':
      return compileAlpn(value, option, scope);
    case 'method':
      return compileMethod(value, option, scope);
    case 'path':
      return compilePath(value, option, scope);
    case 'userAgent':
      return compileUserAgent(value, option, scope);
    case 'missing':
      return compileMissing(value, option, scope);
    case 'predicate':
      return compilePredicate(value, option, scope);
    case 'not': {
      const inner = compileMatch(value, option, scope);
      return (view) => !inner(view);
    }
    case 'all': {
      const tests = compileList(value, option, scope);
      return (view) => tests.every((test) => test(view));
    }
    default: {
      const tests = compileList(value, option, scope);
      return (view) => tests.some((test) => test(view));
    }
  }
}

/** Joins tests with logical AND. */
function allOf(tests: readonly MatchTest[]): MatchTest {
  if (tests.length === 1) {
    return tests[0] as MatchTest;
  }
  return (view) => {
    for (const test of tests) {
      if (!test(view)) {
        return false;
      }
    }
    return true;
  };
}

/**
 * Compiles a `RuleMatch` into one test. An empty value list never matches. Patterns, IP ranges and lists
 * are built here once. Throws `ERR_JA4GUARD_INVALID_RULE`,
 * `ERR_JA4GUARD_INVALID_JA4` or `ERR_JA4GUARD_INVALID_IP` on a bad value.
 */
export function compileMatch(match: unknown, option: string, scope: MatchScope): MatchTest {
  if (typeof match !== 'object' || match === null || Array.isArray(match)) {
    throw invalidRule(scope, option, match, 'Pass a match object such as { ja4: "t13d*" }.');
  }
  const keys = Object.keys(match).filter(
    (key) => (match as Record<string, unknown>)[key] !== undefined,
  );
  if (keys.length === 0) {
    throw invalidRule(
      scope,
      option,
      match,
      'A match needs at least one condition; leave out match to apply the rule to every request.',
    );
  }

  const tests: MatchTest[] = [];
  for (const key of keys) {
    if (!MATCH_KEYS.has(key)) {
      throw invalidRule(
        scope,
        `${option}.${key}`,
        key,
        `Unknown match condition; use one of ${[...MATCH_KEYS].join(', ')}.`,
      );
    }
    const value = (match as Record<string, unknown>)[key];
    tests.push(compileCondition(key, value, `${option}.${key}`, scope));
  }
  return allOf(tests);
}
