export type { Capture, CaptureOptions, CaptureStats, TlsFingerprint } from '@ja4guard/core';
export {
  type FailureLogger,
  type FailureLogLevel,
  FailureLogOptionError,
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
export { attachCapture } from './attach-capture.js';
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
