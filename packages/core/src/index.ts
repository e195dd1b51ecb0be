export {
  attach,
  Capture,
  type CaptureFailure,
  failureChannel,
  getCapture,
} from './capture/attach.js';
export { type CreateServerOptions, createServer } from './capture/create-server.js';
export { CaptureOptionError } from './capture/errors.js';
export {
  CaptureFailureLog,
  FAILURE_LOG_LEVELS,
  type FailureLogger,
  type FailureLogLevel,
  FailureLogOptionError,
  type FailureLogOptions,
  type LogMethod,
} from './capture/failure-log.js';
export type {
  CaptureOptions,
  ClientHelloEvent,
  ClientHelloVerdict,
  ProxyProtocolOptions,
} from './capture/options.js';
export {
  type ProxiedAddress,
  type ProxyHeaderResult,
  readProxyHeader,
} from './capture/proxy-protocol.js';
export {
  type CaptureResult,
  getCaptureResult,
  getFingerprint,
  getProxiedClient,
  kCaptureResult,
  type ProxiedClient,
} from './capture/result.js';
export type { CaptureFailureKind, CaptureStats, NotTlsKind } from './capture/stats.js';
export { ClientHelloParseError, isClientHelloParseError, ParseErrorCode } from './errors.js';
export {
  type FingerprintOptions,
  type FingerprintSource,
  fingerprint,
  fingerprintClientHello,
  type TlsFingerprint,
} from './fingerprint/fingerprint.js';
export { type Ja3Input, ja3String } from './fingerprint/ja3.js';
export {
  alpnCode,
  type Ja4Parts,
  ja4,
  ja4Original,
  ja4OriginalRaw,
  ja4Parts,
  ja4Raw,
} from './fingerprint/ja4.js';
export {
  type ClientHello,
  ClientHelloExtension,
  type ParseOptions,
  parseClientHello,
  type Transport,
} from './parser/client-hello.js';
export { measureClientHello } from './parser/measure.js';
export { DEFAULT_MAX_HELLO_BYTES } from './parser/records.js';
export { ExtensionType, isGrease } from './tls.js';
