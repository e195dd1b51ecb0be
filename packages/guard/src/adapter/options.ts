import type { LogMethod } from '@ja4guard/core';
import type { Guard } from '../guard.js';
import type { BuildBody, RateLimitHeaderStyle } from '../http/response.js';
import type { HeaderSourceOptions } from '../http/trusted-header.js';
import type { PrometheusClient, PrometheusRegistry } from '../metrics/prometheus.js';
import { GUARD_OPTION_NAMES } from '../options.js';
import type { Decision, GuardOptions } from '../types.js';

/** pino levels that decision log lines may use. */
export const DECISION_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** A pino level for decision log lines. */
export type DecisionLogLevel = (typeof DECISION_LOG_LEVELS)[number];

/**
 * A pino-shaped logger: each method takes the fields object first, then the
 * message. Methods of levels that are never used may be missing.
 */
export type AdapterLogger = { readonly [Level in DecisionLogLevel]?: LogMethod };

/**
 * Options of the guard that the adapter creates: the options of
 * `createGuard()` from @ja4guard/guard, except `logger`, which the adapter
 * sets to its own logger.
 */
export type GuardCreationOptions = Omit<GuardOptions, 'logger' | 'failClosed'> & {
  /**
   * With Redis, block requests that reach a `rateLimit` rule while Redis is
   * down or slow, instead of counting them in memory. In the adapter it also
   * ends a request whose guard check failed for an internal reason with a
   * `GuardCheckError` (status 500), instead of letting it through. Default
   * false.
   */
  readonly failClosed?: boolean;
};

export { GUARD_OPTION_NAMES };

// Fails to compile when GuardOptions gains a field that GUARD_OPTION_NAMES does not list.
type UnlistedGuardOption = Exclude<keyof GuardCreationOptions, (typeof GUARD_OPTION_NAMES)[number]>;
const everyGuardOptionListed: [UnlistedGuardOption] extends [never] ? true : never = true;
void everyGuardOptionListed;

/** Settings of the trusted fingerprint header: the options of `createHeaderSource()` without `logger`. */
export type TrustedHeaderOptions = Omit<HeaderSourceOptions, 'logger'>;

/** Prometheus settings; the metrics are registered with `registerPrometheusMetrics()` of @ja4guard/guard. */
export interface PrometheusAdapterOptions {
  /** Registry that receives the metrics. Default: prom-client's global `register`. */
  readonly register?: PrometheusRegistry;
  /** The prom-client module. Default: loaded with `import('prom-client')`. */
  readonly client?: PrometheusClient;
  /** Start of every metric name. Default `'ja4guard_'`. */
  readonly prefix?: string;
}

/** A function called with the decision for one request, for metrics or alerts. */
export type DecisionHook<Request> = (decision: Decision, request: Request) => void;

/** Adapter options that apply both when the adapter creates the guard and when it receives one. */
export interface EnforcementSettings<Request> {
  /**
   * RateLimit header fields on 429 responses, and on requests that go on under
   * a rate limit when `headersOnPass` is true: `'draft'` (`RateLimit-Policy`
   * and `RateLimit`), `'legacy'` (`RateLimit-Limit`, `RateLimit-Remaining`,
   * `RateLimit-Reset`) or false for none. `Retry-After` is always sent on a
   * 429. Default `'draft'`.
   */
  readonly rateLimitHeaders?: RateLimitHeaderStyle;
  /**
   * Send the RateLimit header fields on requests that go on whenever a
   * rate-limit rule counted them, so clients can slow down before a 429.
   * Default true.
   */
  readonly headersOnPass?: boolean;
  /**
   * Builds the body of 403 and 429 responses from the decision and the
   * request. Default: `{ statusCode, error, message, rule, reason }`, plus
   * `retryAfterSeconds` on a 429. If it throws, the default body is sent and
   * the error is logged at most once a minute.
   */
  readonly buildBody?: BuildBody<Request>;
  /**
   * Level of the log line written for each `block`, `limit` and `log`
   * decision, in dry-run mode too. With `'debug'` or `'trace'`, `allow` and
   * `pass` decisions are logged as well. False writes no decision lines.
   * Default `'info'`.
   */
  readonly decisionLogLevel?: DecisionLogLevel | false;
  /**
   * Called with every decision, before the response. An exception or a
   * rejected promise is logged at most once a minute and never changes the
   * response. Default: none.
   */
  readonly onDecision?: DecisionHook<Request>;
  /** Called with every `block` decision, enforced or dry-run, after `onDecision`. Default: none. */
  readonly onBlocked?: DecisionHook<Request>;
  /** Called with every `limit` decision, enforced or dry-run, after `onDecision`. Default: none. */
  readonly onLimited?: DecisionHook<Request>;
  /**
   * Reads the JA4 from a header set by a proxy or CDN that ends TLS, on
   * requests whose TCP peer is in `trustedProxies`. Those requests get a
   * fingerprint with `source: 'header'` that has only the JA4. Default: off.
   */
  readonly trustedHeader?: TrustedHeaderOptions;
  /** Registers Prometheus metrics of the capture, the guard and the header source. Default: off. */
  readonly prometheus?: PrometheusAdapterOptions;
}

type WithoutGuardOptions = { readonly [Name in keyof GuardCreationOptions]?: never };

/**
 * Either the options of a guard that the adapter creates, or `guard`, a guard
 * made with `createGuard()` (for example one shared by two apps). The two
 * cannot be combined.
 */
export type GuardSelection =
  | (GuardCreationOptions & { readonly guard?: never })
  | (WithoutGuardOptions & {
      /**
       * A guard made with `createGuard()`. The adapter never closes it. With
       * it, the guard options (`rules`, `store`, `mode`, …) are rejected,
       * because they belong to `createGuard()`.
       */
      readonly guard: Guard;
    });

/** Options of the decision step: how the adapter builds or receives its guard and acts on decisions. */
export type EnforcementOptions<Request> = EnforcementSettings<Request> & GuardSelection;
