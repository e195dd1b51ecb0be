import type { CaptureOptions, FailureLogger, FailureLogOptions, LogMethod } from '@ja4guard/core';
import type {
  Decision,
  EnforcementOptions,
  Guard,
  HeaderSource,
  MetricsSnapshot,
  RequestFingerprint,
} from '@ja4guard/guard';
import type { NextFunction, Request, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /**
       * JA4 of the client: from the ClientHello that opened this request's
       * connection, or from a trusted proxy's header with `trustedHeader`.
       * Null when there is none: the app is served over plain HTTP without
       * `trustedHeader`, `attachCapture` was not called on the server, the
       * first bytes were not a well-formed ClientHello, or a trusted proxy
       * sent no valid header.
       */
      ja4: string | null;
      /**
       * The fingerprint behind `ja4`. With `source: 'socket'` it has every
       * field of the connection's ClientHello (JA4, JA4_r, JA4_o, JA4_ro,
       * JA3, the JA3 string, SNI, ALPN, TLS versions). With
       * `source: 'header'` only the JA4 is known, and the other fields are
       * null or empty. Null when `ja4` is.
       */
      tlsFingerprint: RequestFingerprint | null;
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
  /**
   * The guard of the `ja4guard()` middleware (`middleware.guard`), or any
   * guard from `createGuard()`. Its blocklist and its rules with
   * `stage: 'connection'` then run on each ClientHello, before the TLS
   * handshake, and a guard that the middleware created is closed with the
   * server. Null, as `middleware.guard` is without rules, means none.
   * Default: none.
   */
  guard?: Guard | null;
  /**
   * With `guard`, close the TCP connection before the TLS handshake on a
   * block or an exceeded rate limit. A `capture.onClientHello` of your own
   * runs first, and the connection is dropped when either returns `'drop'`.
   * Default true.
   */
  dropBeforeHandshake?: boolean;
}

/**
 * A pino-shaped logger: `warn(fields, message)` is required, and the guard
 * needs `info` and `error` too.
 */
export type MiddlewareLogger = FailureLogger & { readonly warn: LogMethod };

/**
 * Sends the response to a blocked or limited request in place of the
 * default JSON body. The status and the `Retry-After` and RateLimit header
 * fields are already set on `response`.
 */
export type DecisionHandler = (
  request: Request,
  response: Response,
  next: NextFunction,
  decision: Decision,
) => void;

/** Options of the middleware that concern Express itself. */
export interface MiddlewareSettings {
  /**
   * pino-shaped logger. It receives the decision lines (at
   * `decisionLogLevel`), guard outages and recoveries, hook errors (at most
   * once a minute each), trusted-header warnings, and one warning at the
   * first request that shows a setup mistake. With `rules` or `guard` it
   * needs `info`, `warn` and `error` methods. Default: none, so nothing is
   * logged.
   */
  readonly logger?: MiddlewareLogger;
  /**
   * Called for an enforced `block` or `limit` instead of sending the default
   * body; see {@link DecisionHandler}. Default: send the JSON body, or the
   * one from `buildBody`.
   */
  readonly handler?: DecisionHandler;
}

/**
 * Options of the {@link ja4guard} middleware. Without `rules` and `guard` it
 * only sets `req.ja4` and `req.tlsFingerprint`.
 */
export type Ja4guardMiddlewareOptions = MiddlewareSettings & EnforcementOptions<Request>;

/** The middleware returned by {@link ja4guard}, with its state. */
export interface Ja4guardMiddleware {
  (request: Request, response: Response, next: NextFunction): void;
  /**
   * The guard that makes the decisions: the one the middleware created, or
   * the `guard` option. Null without rules. Pass it to
   * `attachCapture(server, { guard })` for the connection stage.
   */
  readonly guard: Guard | null;
  /** The trusted fingerprint header source, or null without `trustedHeader`. */
  readonly headerSource: HeaderSource | null;
  /**
   * Returns a snapshot of the counters of the capture, the guard and the
   * header source. A section is null when its source is absent, and the
   * capture is known once `attachCapture` received this guard or a request
   * arrived.
   */
  metrics(): MetricsSnapshot;
  /**
   * Resolves once the Redis blocklist has been loaded and the Prometheus
   * metrics are registered. Rejects when the metrics could not be registered.
   */
  ready(): Promise<void>;
  /**
   * Closes the guard if the middleware created it, and removes its
   * Prometheus metrics. Called by itself when the server closes.
   */
  close(): Promise<void>;
}
