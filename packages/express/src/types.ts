import type {
  CaptureOptions,
  FailureLogger,
  FailureLogOptions,
  LogMethod,
  TlsFingerprint,
} from '@ja4guard/core';

declare global {
  namespace Express {
    interface Request {
      /**
       * JA4 of the ClientHello that opened this request's connection. Null
       * when the connection has no fingerprint: the app is served over plain
       * HTTP, `attachCapture` was not called on the server, or the first
       * bytes were not a well-formed ClientHello.
       */
      ja4: string | null;
      /**
       * All fingerprints of the connection's ClientHello (JA4, JA4_r, JA4_o,
       * JA4_ro, JA3, the JA3 string), with the SNI host name, the ALPN
       * protocols and TLS versions offered, and `source`. Null when `ja4` is.
       */
      tlsFingerprint: TlsFingerprint | null;
    }
  }
}

/** Options of {@link attachCapture}. */
export interface AttachCaptureOptions extends FailureLogOptions {
  /**
   * Options of the ClientHello capture: time and size limits, what to do with
   * malformed or non-TLS first bytes, and the `onClientHello` hook. Default:
   * the defaults of `attach()` in @ja4guard/core.
   */
  capture?: CaptureOptions;
  /**
   * Logger for capture failures (pino-shaped: `warn(fields, message)`). It
   * gets one line per failure group and window of `failureLogIntervalMs`.
   * Default: none, so failures are only counted in `capture.stats()`.
   */
  logger?: FailureLogger;
}

/** Options of the {@link ja4guard} middleware. */
export interface Ja4guardMiddlewareOptions {
  /**
   * Logger (pino-shaped: `warn(fields, message)`) for the one warning written
   * when the first request without a fingerprint shows a setup mistake: the
   * app is served over plain HTTP, or `attachCapture` was not called. Default:
   * none.
   */
  logger?: { warn: LogMethod };
}
