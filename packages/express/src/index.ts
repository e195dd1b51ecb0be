export type { Capture, CaptureOptions, CaptureStats, TlsFingerprint } from '@ja4guard/core';
export {
  type FailureLogger,
  type FailureLogLevel,
  FailureLogOptionError,
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
export { attachCapture } from './attach-capture.js';
export { MiddlewareOptionError, NotTlsServerError } from './errors.js';
export { ja4guard } from './middleware.js';
// The type-only export also loads the global augmentation of Express.Request.
export type {
  AttachCaptureOptions,
  DecisionHandler,
  Ja4guardMiddleware,
  Ja4guardMiddlewareOptions,
  MiddlewareLogger,
  MiddlewareSettings,
} from './types.js';
