export type { CaptureFailure, CaptureOptions, CaptureStats, TlsFingerprint } from '@ja4guard/core';
export {
  CaptureFailureLog,
  FAILURE_LOG_LEVELS,
  type FailureLogger,
  type FailureLogLevel,
  FailureLogOptionError,
  type FailureLogOptions,
  type LogMethod,
} from '@ja4guard/core';
export {
  type Decision,
  type Guard,
  type GuardRule,
  type HeaderFingerprint,
  type MetricsSnapshot,
  type RequestFingerprint,
  redisStore,
  type SocketFingerprint,
} from '@ja4guard/guard';
export {
  DECISION_LOG_LEVELS,
  type DecisionHook,
  type DecisionLogLevel,
  type EnforcementSettings,
  GuardCheckError,
  type GuardCreationOptions,
  type GuardSelection,
  type PrometheusAdapterOptions,
  type TrustedHeaderOptions,
} from './enforcement/index.js';
export { NotTlsServerError, PluginOptionError } from './errors.js';
export { ja4guard, ja4guard as default } from './plugin.js';
// The type-only export also loads the declaration merging on FastifyRequest and FastifyContextConfig.
export type {
  CaptureSettings,
  Ja4guardDecorator,
  Ja4guardPluginOptions,
  RouteGuardConfig,
} from './types.js';
