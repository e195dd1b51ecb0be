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
  DECISION_LOG_LEVELS,
  type Decision,
  type DecisionHook,
  type DecisionLogLevel,
  type EnforcementSettings,
  type Guard,
  GuardCheckError,
  type GuardCreationOptions,
  type GuardRule,
  type GuardSelection,
  type HeaderFingerprint,
  type MetricsSnapshot,
  type PrometheusAdapterOptions,
  type RequestFingerprint,
  redisStore,
  type SocketFingerprint,
  type TrustedHeaderOptions,
} from '@ja4guard/guard';
export { NotTlsServerError, PluginOptionError } from './errors.js';
export { ja4guard, ja4guard as default } from './plugin.js';
// The type-only export also loads the declaration merging on FastifyRequest and FastifyContextConfig.
export type {
  CaptureSettings,
  Ja4guardDecorator,
  Ja4guardPluginOptions,
  RouteGuardConfig,
} from './types.js';
