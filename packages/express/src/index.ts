export type { Capture, CaptureOptions, CaptureStats, TlsFingerprint } from '@ja4guard/core';
export {
  type FailureLogger,
  type FailureLogLevel,
  FailureLogOptionError,
  type LogMethod,
} from '@ja4guard/core';
export { attachCapture } from './attach-capture.js';
export { MiddlewareOptionError, NotTlsServerError } from './errors.js';
export { ja4guard } from './middleware.js';
// The type-only export also loads the global augmentation of Express.Request.
export type { AttachCaptureOptions, Ja4guardMiddlewareOptions } from './types.js';
