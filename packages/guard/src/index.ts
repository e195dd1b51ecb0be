/**
 * `@ja4guard/guard`: identify, block and rate-limit clients by TLS
 * fingerprint (JA4), independent of any web framework. Adapters build a
 * {@link GuardContext} per request and act on the {@link Decision}.
 */

export {
  type AdapterLogger,
  chain,
  createEnforcement,
  DECISION_LOG_LEVELS,
  type DecisionHook,
  type DecisionLogLevel,
  type DecisionOutcome,
  DecisionStep,
  decisionFields,
  decisionMessage,
  type Enforcement,
  type EnforcementOptions,
  type EnforcementSettings,
  GuardCheckError,
  type GuardCreationOptions,
  type GuardSelection,
  guardLogger,
  type InvalidOption,
  logDecision,
  type PrometheusAdapterOptions,
  pathOf,
  requestFingerprint,
  ThrottledLog as AdapterThrottledLog,
  type TrustedHeaderOptions,
  withConnectionHook,
} from './adapter/index.js';
export type {
  BlocklistAddOptions,
  BlocklistEntry,
  BlocklistEntryKind,
  BlocklistValue,
  GuardBlocklist,
} from './blocklist.js';
export {
  type ConnectionHook,
  type ConnectionHookOptions,
  createConnectionHook,
} from './connection/stage.js';
export {
  GuardError,
  GuardErrorCode,
  type GuardErrorCodeValue,
  type GuardErrorDetails,
} from './errors.js';
export type { GuardFingerprint } from './fingerprint.js';
export {
  createGuard,
  type Guard,
  type GuardStats,
  type RateLimitPolicy,
} from './guard.js';
export {
  type BuildBody,
  createDecisionResponder,
  type DecisionBody,
  type DecisionResponder,
  type DecisionResponderOptions,
  type DecisionResponse,
  type DecisionResponseOptions,
  decisionHeaders,
  decisionResponse,
  type RateLimitHeaderStyle,
} from './http/response.js';
export {
  createHeaderSource,
  DEFAULT_HEADER_WARN_INTERVAL_MS,
  HEADER_PRESETS,
  type HeaderFingerprint,
  type HeaderPreset,
  type HeaderRejection,
  type HeaderRequest,
  type HeaderResolution,
  type HeaderSource,
  type HeaderSourceOptions,
  type HeaderSourceStats,
  type RequestFingerprint,
  type SocketFingerprint,
  toGuardFingerprint,
} from './http/trusted-header.js';
export type { DecisionCounts } from './metrics/decision-counters.js';
export {
  collectMetrics,
  type MetricsSnapshot,
  type MetricsSources,
  type StatsSource,
} from './metrics/metrics.js';
export {
  DEFAULT_METRICS_PREFIX,
  type PrometheusClient,
  type PrometheusMetrics,
  type PrometheusOptions,
  type PrometheusRegistry,
  registerPrometheusMetrics,
} from './metrics/prometheus.js';
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
  RuleStage,
} from './types.js';
