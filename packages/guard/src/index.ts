/**
 * `@ja4guard/guard`: identify, block and rate-limit clients by TLS
 * fingerprint (JA4), independent of any web framework. Adapters build a
 * {@link GuardContext} per request and act on the {@link Decision}.
 */
export type {
  BlocklistAddOptions,
  BlocklistEntry,
  BlocklistEntryKind,
  BlocklistValue,
  GuardBlocklist,
} from './blocklist.js';
export {
  GuardError,
  GuardErrorCode,
  type GuardErrorCodeValue,
  type GuardErrorDetails,
} from './errors.js';
export type { GuardFingerprint } from './fingerprint.js';
export { createGuard, type Guard, type GuardStats } from './guard.js';
export {
  DEFAULT_BLOCKLIST_SYNC_INTERVAL_MS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_MAX_KEYS,
  DEFAULT_REDIS_PROBE_INTERVAL_MS,
  DEFAULT_REDIS_TIMEOUT_MS,
} from './options.js';
export { DEFAULT_BAN_PERIOD_SECONDS } from './rules.js';
export { redisStore } from './store.js';
export type {
  Decision,
  DecisionAction,
  DecisionBan,
  DecisionReason,
  GuardContext,
  GuardLogger,
  GuardMode,
  GuardOptions,
  GuardRule,
  GuardStoreOptions,
  MemoryStoreOptions,
  OneOrMany,
  RateLimitBan,
  RateLimitKey,
  RateLimitOptions,
  RedisClient,
  RedisStoreOptions,
  RuleMatch,
} from './types.js';
