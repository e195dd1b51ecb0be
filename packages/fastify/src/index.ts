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
export { NotTlsServerError } from './errors.js';
export {
  type Ja4guardDecorator,
  type Ja4guardPluginOptions,
  ja4guard,
  ja4guard as default,
} from './plugin.js';
