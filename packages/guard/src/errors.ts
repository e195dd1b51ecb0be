/**
 * Stable error codes of `@ja4guard/guard`. The set is closed: a new code is a
 * new minor version, and each code has a section in ERRORS.md.
 */
export const GuardErrorCode = {
  /** A guard option has a wrong type, range or value. Thrown by `createGuard`. */
  INVALID_OPTION: 'ERR_JA4GUARD_INVALID_OPTION',
  /** A rule has a wrong shape: name, match, action or rate-limit settings. Thrown by `createGuard`. */
  INVALID_RULE: 'ERR_JA4GUARD_INVALID_RULE',
  /** A JA4 value or JA4 pattern is malformed, in a rule or a blocklist value. */
  INVALID_JA4: 'ERR_JA4GUARD_INVALID_JA4',
  /** An IP address or CIDR range is malformed, in a rule or a blocklist value. */
  INVALID_IP: 'ERR_JA4GUARD_INVALID_IP',
  /** The ioredis client could queue commands while Redis is offline. Thrown by `createGuard`. */
  UNSAFE_REDIS_CLIENT: 'ERR_JA4GUARD_UNSAFE_REDIS_CLIENT',
  /** A blocklist value or its options are invalid. Rejected by `blocklist.add` and `blocklist.remove`. */
  INVALID_BLOCKLIST_VALUE: 'ERR_JA4GUARD_INVALID_BLOCKLIST_VALUE',
  /** A blocklist write or sync did not reach Redis. Rejected by `blocklist.add`, `remove` and `sync`. */
  STORE_UNAVAILABLE: 'ERR_JA4GUARD_STORE_UNAVAILABLE',
  /** A blocklist write was requested after `guard.close()`. */
  CLOSED: 'ERR_JA4GUARD_CLOSED',
  /** An adapter's guard check failed for an internal reason while `failClosed` is set (`GuardCheckError`). */
  CHECK_FAILED: 'ERR_JA4GUARD_CHECK_FAILED',
} as const;

/** One of the codes in {@link GuardErrorCode}. */
export type GuardErrorCodeValue = (typeof GuardErrorCode)[keyof typeof GuardErrorCode];

/** Location of an invalid value and the fix, for the error message and fields. */
export interface GuardErrorDetails {
  /** Name of the rule that contains the value, or null when the value is not part of a rule. */
  readonly rule?: string | null;
  /** Path of the option, for example `rules[2].match.ip` or `maxKeys`. */
  readonly option?: string | null;
  /** The value received. */
  readonly value?: unknown;
  /** Instruction to the caller for fixing the value. */
  readonly hint: string;
  /** The underlying error, for store failures. */
  readonly cause?: unknown;
}

/**
 * The one error class of `@ja4guard/guard`. Match on `code` rather than on
 * `instanceof`, because two copies of the package may be loaded at once.
 */
export class GuardError extends Error {
  override readonly name = 'GuardError';
  /** Stable code from {@link GuardErrorCode}. */
  readonly code: GuardErrorCodeValue;
  /** Name of the rule that contains the invalid value, or null. */
  readonly rule: string | null;
  /** Path of the option that contains the invalid value, or null. */
  readonly option: string | null;
  /** The value received; undefined for store failures. */
  readonly value: unknown;
  /** Instruction to the caller for fixing the value. */
  readonly hint: string;

  constructor(code: GuardErrorCodeValue, summary: string, details: GuardErrorDetails) {
    const rule = details.rule ?? null;
    const option = details.option ?? null;
    super(
      formatMessage(summary, rule, option, details),
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.code = code;
    this.rule = rule;
    this.option = option;
    this.value = details.value;
    this.hint = details.hint;
  }
}

function formatMessage(
  summary: string,
  rule: string | null,
  option: string | null,
  details: GuardErrorDetails,
): string {
  const where: string[] = [];
  if (rule !== null) {
    where.push(`rule "${rule}"`);
  }
  if (option !== null) {
    where.push(`option ${option}`);
  }
  let message = where.length > 0 ? `${summary} (${where.join(', ')})` : summary;
  if ('value' in details) {
    message += `: received ${describeValue(details.value)}`;
  }
  return `${message}. ${details.hint}`;
}

const MAX_DESCRIBED_LENGTH = 120;

/** Renders a received value for an error message, cut to a readable length. */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') {
    text = JSON.stringify(value);
  } else if (typeof value === 'function') {
    text = 'a function';
  } else if (value instanceof RegExp || typeof value === 'bigint' || typeof value === 'symbol') {
    text = String(value);
  } else if (value === undefined) {
    text = 'undefined';
  } else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > MAX_DESCRIBED_LENGTH ? `${text.slice(0, MAX_DESCRIBED_LENGTH)}…` : text;
}
