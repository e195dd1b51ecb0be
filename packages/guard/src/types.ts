import type { Cluster, Redis } from 'ioredis';
import type { GuardFingerprint } from './fingerprint.js';

/** Request data that the guard reads. Adapters build it from the framework's request. */
export interface GuardContext {
  /** TLS fingerprint of the connection, or null when none was captured (plain HTTP, parse failure, header absent). */
  readonly fingerprint: GuardFingerprint | null;
  /** Client IP address as text, IPv4 or IPv6. IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as IPv4. */
  readonly ip: string;
  /** HTTP method, for example `GET`. */
  readonly method: string;
  /** Request path as the adapter passes it, for example `/api/login`. */
  readonly path: string;
  /** Host header or `:authority`, when the adapter has it. */
  readonly host?: string | null;
  /** Request headers with lowercase names, as Node's `IncomingHttpHeaders`. `user-agent` is read from here. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** One value or a list of values; a list matches when any entry matches. */
export type OneOrMany<T> = T | readonly T[];

/**
 * Conditions of a rule. Every condition given must hold (logical AND); a
 * condition on the fingerprint never holds when the fingerprint is missing.
 */
export interface RuleMatch {
  /**
   * Exact JA4 values and JA4 patterns. A value with `*` or `?` is a pattern:
   * `?` stands for one character and `*` for any run, both within one `_` section,
   * and left-out sections match anything (`t1?i*` is `t1?i*_*_*`). Exact values
   * are looked up in a Set, so a list of any size costs one lookup. Patterns are
   * compiled once by `createGuard` and tested in order.
   */
  readonly ja4?: OneOrMany<string>;
  /** Exact JA3 hashes (32 hex characters, any case), looked up in a Set. */
  readonly ja3?: OneOrMany<string>;
  /**
   * Client IP addresses and CIDR ranges, IPv4 and IPv6 (`203.0.113.7`, `10.0.0.0/8`,
   * `2001:db8::/32`). An IPv4-mapped client address matches IPv4 entries.
   */
  readonly ip?: OneOrMany<string>;
  /**
   * Server names from the SNI extension, case-insensitive. `*.example.com` matches
   * every subdomain of example.com at any depth, but not example.com itself.
   */
  readonly sni?: OneOrMany<string>;
  /** ALPN protocol ids such as `h2` or `http/1.1`; matches when the client offers any of them. */
  readonly alpn?: OneOrMany<string>;
  /** HTTP methods, case-insensitive. */
  readonly method?: OneOrMany<string>;
  /** Path prefixes (strings) or regular expressions, tested against `context.path`. */
  readonly path?: OneOrMany<string | RegExp>;
  /**
   * User-Agent substrings (case-insensitive) or regular expressions. A request
   * without a User-Agent header never matches.
   */
  readonly userAgent?: OneOrMany<string | RegExp>;
  /** `true` matches requests without a fingerprint; `false` matches requests with one. */
  readonly missing?: boolean;
  /** Matches when the nested conditions do not all hold. */
  readonly not?: RuleMatch;
  /** Matches when every nested match holds. Must not be empty. */
  readonly all?: readonly RuleMatch[];
  /** Matches when at least one nested match holds. Must not be empty. */
  readonly any?: readonly RuleMatch[];
  /**
   * Custom test. If it throws, the guard treats it as no match and logs the
   * error through `logger.error`, at most once a minute per rule.
   */
  readonly predicate?: (context: GuardContext) => boolean;
}

/** Rate-limit key of a rule: a built-in key or a function of the request. */
export type RateLimitKey = 'ja4' | 'ip' | 'ja4+ip' | ((context: GuardContext) => string);

/** Automatic ban into the blocklist for clients that keep exceeding a rate limit. */
export interface RateLimitBan {
  /** Number of exceeded windows that triggers the ban. Integer, at least 1. */
  readonly after: number;
  /** Ban length in seconds. */
  readonly ttlSeconds: number;
  /**
   * Ban target: the JA4 alone, or the JA4 together with the client IP.
   * Default `'ja4+ip'`. Requests without a fingerprint are never banned.
   */
  readonly scope?: 'ja4' | 'ja4+ip';
  /** Seconds over which exceeded windows are counted, starting at the first one. Integer, default 3600. */
  readonly periodSeconds?: number;
}

/** Settings of a `rateLimit` action. */
export interface RateLimitOptions {
  /** Requests allowed per window. Integer, at least 1. */
  readonly points: number;
  /** Window length in seconds. Integer, at least 1, because Redis counts whole seconds. */
  readonly duration: number;
  /**
   * Counter key: requests with the same key share a counter. Default `'ja4+ip'`: keying on the JA4 alone
   * throttles every user of one TLS stack, because every Chrome user shares a JA4.
   * Requests without a fingerprint share the JA4 value `none`.
   */
  readonly key?: RateLimitKey;
  /** Seconds a key stays limited once it exceeds `points`. Integer; default 0 (until the window ends). */
  readonly blockDuration?: number;
  /** Optional ban into the blocklist after repeated excess. */
  readonly ban?: RateLimitBan;
}

/**
 * Stage at which a rule runs. `request` rules run in `guard.check()` for each HTTP request.
 * `connection` rules run in the hook from `guard.connectionHook()`, before the TLS
 * handshake, where only the fingerprint (JA4, JA3, SNI, ALPN) and the client IP
 * are known: their matches may not use `method`, `path` or `userAgent`.
 */
export type RuleStage = 'request' | 'connection';

interface RuleBase {
  /** Unique rule name, reported in decisions and logs. */
  readonly name: string;
  /** Conditions; leave out to apply the rule to every request. */
  readonly match?: RuleMatch;
  /** Stage at which the rule runs. Default `'request'`. */
  readonly stage?: RuleStage;
}

/**
 * One rule. Rules run in order. `allow` and `block` stop evaluation, `log`
 * records the match and goes on, and `rateLimit` stops evaluation when the
 * limit is exceeded and goes on otherwise.
 */
export type GuardRule =
  | (RuleBase & { readonly action: 'allow' | 'block' | 'log' })
  | (RuleBase & { readonly action: 'rateLimit'; readonly rateLimit: RateLimitOptions });

/** Outcome of a decision. `pass` means no rule stopped the request and no `log` rule matched. */
export type DecisionAction = 'allow' | 'block' | 'limit' | 'log' | 'pass';

/**
 * Why a request was allowed, blocked or limited: a rule, a blocklist entry,
 * or an unreachable store under `failClosed`.
 */
export type DecisionReason = 'rule' | 'blocklist' | 'store-unavailable';

/** A ban that a decision triggered (or, in dry-run mode, would have triggered). */
export interface DecisionBan {
  /** Blocklist value that was added: a JA4 or `ja4|ip`. */
  readonly value: string;
  /** Ban length in seconds. */
  readonly ttlSeconds: number;
}

/** Result of the guard for one request. */
export interface Decision {
  /** Action for the request. */
  readonly action: DecisionAction;
  /**
   * Name of the rule behind `action`. For `pass` and `log` it names the
   * rate-limit rule whose counters are reported, if any. Null otherwise,
   * and for blocklist hits.
   */
  readonly rule: string | null;
  /** Cause of an `allow`, `block` or `limit`; null for `pass` and `log`. */
  readonly reason: DecisionReason | null;
  /** False in dry-run mode: the adapter reports the decision and lets the request through. */
  readonly enforced: boolean;
  /** Rate-limit key, or the blocklist value that matched; null otherwise. */
  readonly key: string | null;
  /** Requests allowed per window by the reported rate-limit rule; null when no limit applied. */
  readonly limit: number | null;
  /** Requests left in the current window; null when no limit applied. */
  readonly remaining: number | null;
  /** Milliseconds until the window (or block) of the reported limit ends; null when no limit applied. */
  readonly resetMs: number | null;
  /** Milliseconds the client should wait before retrying; set only for `limit`. */
  readonly retryAfterMs: number | null;
  /** Names of the `log` rules that matched, in rule order. */
  readonly logs: readonly string[];
  /** The ban this request triggered, or null. */
  readonly ban: DecisionBan | null;
}

/**
 * Logger with pino's argument order (object first, then message). Pass a pino
 * or Fastify logger as is. Only `info`, `warn` and `error` are called.
 */
export interface GuardLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** An ioredis client: a single node (`Redis`) or a cluster (`Cluster`). */
export type RedisClient = Redis | Cluster;

/** Keep counters and the blocklist in this process. */
export interface MemoryStoreOptions {
  readonly type: 'memory';
}

/**
 * Keep counters and the blocklist in Redis, shared by every instance that uses
 * the same `keyPrefix`. The client must be created with `enableOfflineQueue: false`
 * (and, as advised, a small `maxRetriesPerRequest` such as 1), so that no command
 * waits for a reconnect. The guard never closes this client.
 */
export interface RedisStoreOptions {
  readonly type: 'redis';
  /** The ioredis client, single node or Cluster. */
  readonly client: RedisClient;
}

/** Storage of the guard's state. */
export type GuardStoreOptions = MemoryStoreOptions | RedisStoreOptions;

/** `enforce` applies decisions; `dry-run` computes and reports them with `enforced: false`. */
export type GuardMode = 'enforce' | 'dry-run';

/** Options of `createGuard`. */
export interface GuardOptions {
  /** Rules, evaluated in order after the blocklist. Default: none. */
  readonly rules?: readonly GuardRule[];
  /** Default `'enforce'`. */
  readonly mode?: GuardMode;
  /** Default: memory. */
  readonly store?: GuardStoreOptions;
  /**
   * Maximum number of rate-limit keys kept in process memory, over all rules,
   * counting the Redis insurance counters. The least recently used key is dropped
   * first, so random fingerprints cannot exhaust memory. Integer, default 100000.
   */
  readonly maxKeys?: number;
  /**
   * With Redis: when Redis is down or slow, block requests that reach a
   * `rateLimit` rule (decision `block`, reason `store-unavailable`) instead of
   * counting them in memory. Default false (fail-open).
   */
  readonly failClosed?: boolean;
  /** With Redis: milliseconds one rate-limit call may take before the guard gives up on Redis. Default 50. */
  readonly redisTimeoutMs?: number;
  /** With Redis: milliseconds between health probes while Redis is down. Default 1000. */
  readonly redisProbeIntervalMs?: number;
  /**
   * Milliseconds between full blocklist syncs from Redis, which catch changes
   * missed by pub/sub. With the memory store, the interval at which expired
   * entries are swept. Default 30000.
   */
  readonly blocklistSyncIntervalMs?: number;
  /** Prefix of every Redis key and channel. Default `'ja4guard:'`. */
  readonly keyPrefix?: string;
  /** Receives outage, recovery and error logs. Default: no logging. */
  readonly logger?: GuardLogger;
}
