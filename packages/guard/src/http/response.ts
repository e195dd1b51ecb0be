import { GuardError, GuardErrorCode } from '../errors.js';
import type { RateLimitPolicy } from '../guard.js';
import type { Decision, DecisionReason } from '../types.js';

/**
 * Style of the RateLimit header fields. `'draft'` sends `RateLimit-Policy`
 * and `RateLimit` as structured fields, following
 * draft-ietf-httpapi-ratelimit-headers-11 (May 2026), sections 3 and 4.
 * `'legacy'` sends `RateLimit-Limit`, `RateLimit-Remaining` and
 * `RateLimit-Reset` (delay in seconds) as in draft-06 and earlier, which many
 * clients still read. `false` sends none.
 */
export type RateLimitHeaderStyle = 'draft' | 'legacy' | false;

/**
 * Builds the body of a 403 or 429 response in place of the default
 * {@link DecisionBody}. `request` is the framework's request object.
 */
export type BuildBody<Request = unknown> = (decision: Decision, request: Request) => unknown;

/** Options of {@link decisionResponse}, {@link decisionHeaders} and {@link createDecisionResponder}. */
export interface DecisionResponseOptions {
  /** RateLimit header fields to send. Default `'draft'`. */
  readonly rateLimitHeaders?: RateLimitHeaderStyle;
  /**
   * Send the RateLimit header fields on responses that go on, whenever a
   * rate-limit rule counted the request, so clients can slow down before they
   * get a 429. Default true.
   */
  readonly headersOnPass?: boolean;
  /**
   * Looks up the window of a rate-limit rule for the `w` parameter of
   * `RateLimit-Policy`; pass the guard. Without it `w`, which the draft makes
   * optional, is left out.
   */
  readonly guard?: { rateLimitPolicy(rule: string): RateLimitPolicy | null };
}

/** Options of {@link createDecisionResponder}. */
export interface DecisionResponderOptions<Request = unknown> extends DecisionResponseOptions {
  /** Builds the body of 403 and 429 responses. Default: {@link DecisionBody}. */
  readonly buildBody?: BuildBody<Request>;
}

/** Default body of a 403 or 429 response, in the shape of Fastify's error replies. */
export interface DecisionBody {
  readonly statusCode: 403 | 429;
  /** Reason phrase of the status code. */
  readonly error: 'Forbidden' | 'Too Many Requests';
  readonly message: string;
  /** Rule that blocked or limited the request; null for a blocklist hit. */
  readonly rule: string | null;
  readonly reason: DecisionReason | null;
  /** Seconds until the client may retry, as in `Retry-After`; only on 429. */
  readonly retryAfterSeconds?: number;
}

/** The response that ends a blocked or rate-limited request. */
export interface DecisionResponse<Body = DecisionBody> {
  readonly statusCode: 403 | 429;
  /** Header fields to set, with their usual capitalization. Empty for a 403. */
  readonly headers: Record<string, string>;
  readonly body: Body;
}

/** Response building with options checked once, for adapters. */
export interface DecisionResponder<Request = unknown> {
  /**
   * Returns the 403 or 429 response for an enforced `block` or `limit`
   * decision, or null when the request goes on (`allow`, `pass`, `log`, and
   * every decision in dry-run mode).
   */
  respond(decision: Decision, request: Request): DecisionResponse<unknown> | null;
  /**
   * Returns the header fields of a decision: `Retry-After` and RateLimit
   * fields for `limit`, RateLimit fields for a request that goes on under a
   * rate limit (with `headersOnPass`), and none otherwise or in dry-run mode.
   */
  headers(decision: Decision): Record<string, string>;
}

interface ResolvedResponseOptions {
  readonly style: RateLimitHeaderStyle;
  readonly headersOnPass: boolean;
  readonly guard: DecisionResponseOptions['guard'] | null;
}

const RESPONSE_OPTION_KEYS: ReadonlySet<string> = new Set([
  'rateLimitHeaders',
  'headersOnPass',
  'guard',
  'buildBody',
]);
const DEFAULT_OPTIONS: ResolvedResponseOptions = {
  style: 'draft',
  headersOnPass: true,
  guard: null,
};

function invalidOption(option: string, value: unknown, hint: string): GuardError {
  return new GuardError(GuardErrorCode.INVALID_OPTION, 'Invalid response option', {
    option,
    value,
    hint,
  });
}

function resolveResponseOptions(
  options: DecisionResponseOptions & { readonly buildBody?: unknown },
): ResolvedResponseOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption('options', options, 'Pass an options object, or nothing.');
  }
  for (const key of Object.keys(options)) {
    if (!RESPONSE_OPTION_KEYS.has(key)) {
      throw invalidOption(
        key,
        key,
        `Unknown option; use one of ${[...RESPONSE_OPTION_KEYS].join(', ')}.`,
      );
    }
  }

  const style = options.rateLimitHeaders ?? 'draft';
  if (style !== 'draft' && style !== 'legacy' && style !== false) {
    throw invalidOption('rateLimitHeaders', style, "Use 'draft', 'legacy' or false.");
  }
  const headersOnPass = options.headersOnPass ?? true;
  if (typeof headersOnPass !== 'boolean') {
    throw invalidOption('headersOnPass', headersOnPass, 'Pass true or false.');
  }
  const guard = options.guard ?? null;
  if (guard !== null && typeof guard?.rateLimitPolicy !== 'function') {
    throw invalidOption('guard', guard, 'Pass the guard returned by createGuard().');
  }
  if (options.buildBody !== undefined && typeof options.buildBody !== 'function') {
    throw invalidOption(
      'buildBody',
      options.buildBody,
      'Pass a function (decision, request) => body.',
    );
  }
  return { style, headersOnPass, guard };
}

/** Converts milliseconds to whole seconds, rounded up, never negative. */
function ceilSeconds(milliseconds: number): number {
  return Math.max(0, Math.ceil(milliseconds / 1000));
}

/**
 * Serializes a rule name as a structured-field String (RFC 9651 section
 * 3.3.3): `"` and `\` are escaped, and characters outside printable ASCII,
 * which a String cannot hold, are percent-encoded as UTF-8. A literal `%` is
 * kept as it is, so `a%C3%BC` and `aü` serialize alike.
 */
export function structuredString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (char === '"' || char === '\\') {
      out += `\\${char}`;
    } else if (code >= 0x20 && code <= 0x7e) {
      out += char;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate has no UTF-8 form (encodeURIComponent throws), so it becomes U+FFFD.
      out += '%EF%BF%BD';
    } else {
      out += encodeURIComponent(char);
    }
  }
  return `${out}"`;
}

/** Adds the RateLimit fields of the decision's rate-limit rule; the decision must have `rule` and `limit`. */
function addRateLimitFields(
  headers: Record<string, string>,
  decision: Decision,
  options: ResolvedResponseOptions,
): void {
  const rule = decision.rule as string;
  const limit = decision.limit as number;
  const remaining = Math.max(0, decision.remaining ?? 0);
  const resetSeconds = ceilSeconds(decision.resetMs ?? 0);

  if (options.style === 'legacy') {
    headers['RateLimit-Limit'] = String(limit);
    headers['RateLimit-Remaining'] = String(remaining);
    headers['RateLimit-Reset'] = String(resetSeconds);
    return;
  }

  const name = structuredString(rule);
  const windowSeconds = options.guard?.rateLimitPolicy(rule)?.windowSeconds;
  headers['RateLimit-Policy'] =
    windowSeconds === undefined ? `${name};q=${limit}` : `${name};q=${limit};w=${windowSeconds}`;
  headers.RateLimit = `${name};r=${remaining};t=${resetSeconds}`;
}

/**
 * Seconds for `Retry-After`: the decision's wait rounded up, at least 1. The
 * draft (section 6) requires that Retry-After SHOULD NOT end before the effective
 * window of `RateLimit`; both are computed from the same reset time.
 */
function retryAfterSeconds(decision: Decision): number {
  return Math.max(1, ceilSeconds(decision.retryAfterMs ?? decision.resetMs ?? 0));
}

function headersOf(decision: Decision, options: ResolvedResponseOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!decision.enforced || decision.action === 'block' || decision.action === 'allow') {
    return headers;
  }
  if (decision.action === 'limit') {
    headers['Retry-After'] = String(retryAfterSeconds(decision));
  } else if (!options.headersOnPass) {
    return headers;
  }
  if (options.style !== false && decision.rule !== null && decision.limit !== null) {
    addRateLimitFields(headers, decision, options);
  }
  return headers;
}

function blockMessage(decision: Decision): string {
  switch (decision.reason) {
    case 'blocklist':
      return 'This client is on the blocklist.';
    case 'store-unavailable':
      return 'The rate-limit store is unavailable, so requests under this rate limit are blocked.';
    default:
      return `Blocked by rule "${decision.rule}".`;
  }
}

function defaultBody(decision: Decision, statusCode: 403 | 429, retryAfter: number): DecisionBody {
  if (statusCode === 403) {
    return {
      statusCode,
      error: 'Forbidden',
      message: blockMessage(decision),
      rule: decision.rule,
      reason: decision.reason,
    };
  }
  const unit = retryAfter === 1 ? 'second' : 'seconds';
  return {
    statusCode,
    error: 'Too Many Requests',
    message: `Rate limit "${decision.rule}" exceeded; retry in ${retryAfter} ${unit}.`,
    rule: decision.rule,
    reason: decision.reason,
    retryAfterSeconds: retryAfter,
  };
}

function responseOf(
  decision: Decision,
  options: ResolvedResponseOptions,
): DecisionResponse<DecisionBody> | null {
  if (!decision.enforced || (decision.action !== 'block' && decision.action !== 'limit')) {
    return null;
  }
  const statusCode = decision.action === 'block' ? 403 : 429;
  const headers = headersOf(decision, options);
  const retryAfter = statusCode === 429 ? retryAfterSeconds(decision) : 0;
  return { statusCode, headers, body: defaultBody(decision, statusCode, retryAfter) };
}

/**
 * Returns the 403 or 429 response for an enforced `block` or `limit`
 * decision, with `Retry-After` and RateLimit header fields on a 429. Returns
 * null when the request goes on: `allow`, `pass`, `log`, and every decision
 * in dry-run mode. Throws `ERR_JA4GUARD_INVALID_OPTION` for a bad option.
 */
export function decisionResponse(
  decision: Decision,
  options?: DecisionResponseOptions,
): DecisionResponse | null {
  return responseOf(
    decision,
    options === undefined ? DEFAULT_OPTIONS : resolveResponseOptions(options),
  );
}

/**
 * Returns the header fields that belong on the response to a request with
 * this decision; see {@link DecisionResponder.headers}. Throws
 * `ERR_JA4GUARD_INVALID_OPTION` for a bad option.
 */
export function decisionHeaders(
  decision: Decision,
  options?: DecisionResponseOptions,
): Record<string, string> {
  return headersOf(
    decision,
    options === undefined ? DEFAULT_OPTIONS : resolveResponseOptions(options),
  );
}

/**
 * Checks the options once and returns functions for each request, so an
 * adapter's invalid option fails at registration. Throws
 * `ERR_JA4GUARD_INVALID_OPTION` for a bad option.
 */
export function createDecisionResponder<Request = unknown>(
  options: DecisionResponderOptions<Request> = {},
): DecisionResponder<Request> {
  const resolved = resolveResponseOptions(options);
  const buildBody = options.buildBody;
  return {
    respond(decision, request) {
      const response = responseOf(decision, resolved);
      if (response === null || buildBody === undefined) {
        return response;
      }
      return { ...response, body: buildBody(decision, request) };
    },
    headers: (decision) => headersOf(decision, resolved),
  };
}
