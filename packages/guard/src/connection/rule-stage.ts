import { GuardError, GuardErrorCode } from '../errors.js';
import type { RuleStage } from '../types.js';

/** Match conditions that read the HTTP request, which does not exist yet before the TLS handshake. */
const REQUEST_ONLY_CONDITIONS: ReadonlySet<string> = new Set(['method', 'path', 'userAgent']);
const NESTED_LISTS: ReadonlySet<string> = new Set(['all', 'any']);

function invalidStage(rule: string, option: string, value: unknown, hint: string): GuardError {
  return new GuardError(GuardErrorCode.INVALID_RULE, 'Invalid rule', { rule, option, value, hint });
}

/** Validates a rule's `stage` setting; leaving it out means `'request'`. Throws `ERR_JA4GUARD_INVALID_RULE`. */
export function readRuleStage(value: unknown, rule: string, option: string): RuleStage {
  if (value === undefined || value === 'request') {
    return 'request';
  }
  if (value === 'connection') {
    return 'connection';
  }
  throw invalidStage(rule, option, value, "Use 'request' or 'connection'.");
}

/**
 * Rejects the conditions of a connection-stage match that read the HTTP
 * request (`method`, `path`, `userAgent`), nested ones included. Call it on a
 * match that `compileMatch` accepted. Throws `ERR_JA4GUARD_INVALID_RULE` with
 * the option path of the first such condition.
 */
export function checkConnectionMatch(match: unknown, option: string, rule: string): void {
  const conditions = match as Record<string, unknown>;
  for (const key of Object.keys(conditions)) {
    const value = conditions[key];
    if (value === undefined) {
      continue;
    }
    const path = `${option}.${key}`;
    if (REQUEST_ONLY_CONDITIONS.has(key)) {
      throw invalidStage(
        rule,
        path,
        value,
        `A connection-stage rule runs before the TLS handshake, when only the fingerprint, ` +
          `client IP, SNI and ALPN are known; move the ${key} condition to a rule with stage 'request'.`,
      );
    }
    if (key === 'not') {
      checkConnectionMatch(value, path, rule);
    } else if (NESTED_LISTS.has(key)) {
      (value as unknown[]).forEach((nested, index) => {
        checkConnectionMatch(nested, `${path}[${index}]`, rule);
      });
    }
  }
}
