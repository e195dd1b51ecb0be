import type { Server as HttpServer } from 'node:http';
import { Server as TlsServer } from 'node:tls';
import {
  attach,
  type Capture,
  CaptureFailureLog,
  type FailureLogger,
  getCapture,
} from '@ja4guard/core';
import type { Guard } from '@ja4guard/guard';
import { withConnectionHook } from '@ja4guard/guard';
import { MiddlewareOptionError, NotTlsServerError } from './errors.js';
import { statesOf } from './state.js';
import type { AttachCaptureOptions } from './types.js';

/** Captures that already have a failure log, so a second call does not log twice. */
const logged = new WeakSet<Capture>();

/**
 * Attaches ClientHello capture to the `https.Server` that serves the app.
 * Call it before `server.listen()`: connections accepted earlier have no
 * fingerprint. Calling it again returns the same capture and ignores the new
 * options. With `guard`, the guard's connection stage runs on each
 * ClientHello, and a guard created by the middleware closes with the server.
 *
 * @throws {NotTlsServerError} when `server` is not a `tls.Server` (for example a plain `http.Server`).
 * @throws {MiddlewareOptionError} for an invalid `guard` or `dropBeforeHandshake` option.
 * @throws {FailureLogOptionError} for an invalid `logger` or `failureLog*` option.
 * @throws {CaptureOptionError} (from @ja4guard/core) for an invalid `capture` option.
 */
export function attachCapture(server: TlsServer, options?: AttachCaptureOptions): Capture;
/**
 * Behind a proxy or CDN that ends TLS, the server is a plain `http.Server`
 * and has no ClientHello to capture. Passing the guard of a middleware with
 * `trustedHeader` is then accepted: it returns null and only ties the
 * guard's closing to the server's.
 *
 * @throws {NotTlsServerError} when no middleware with `trustedHeader` uses `options.guard`.
 */
export function attachCapture(
  server: HttpServer | TlsServer,
  options: AttachCaptureOptions & { guard: Guard | null },
): Capture | null;
// NOTE: Express serves HTTP/1.1 here, not HTTP/2. Checked with Express 5.3.0
// on Node 20.20: behind http2.createSecureServer({ allowHTTP1: true }, app),
// HTTP/1.1 clients work, but each HTTP/2 request raises uncaught TypeErrors,
// because Express replaces the prototype of Node's Http2ServerRequest. Use
// @ja4guard/fastify with `http2: true` for HTTP/2 clients.
export function attachCapture(
  server: HttpServer | TlsServer,
  options: AttachCaptureOptions = {},
): Capture | null {
  const guard = readGuard(options.guard);
  const dropBeforeHandshake = readDropBeforeHandshake(options.dropBeforeHandshake, guard);
  if (!(server instanceof TlsServer)) {
    return attachToPlainServer(server, guard);
  }

  // Options are checked before the capture takes over the server's listeners.
  const failureLog =
    options.logger === undefined ? null : new CaptureFailureLog(options.logger, options);
  const hook = guard !== null && dropBeforeHandshake ? guard.connectionHook() : null;
  const existing = getCapture(server);
  const capture = existing ?? attach(server, withConnectionHook(options.capture, hook));
  if (existing !== null && hook !== null) {
    warnHookNotWired(options.logger);
  }
  if (failureLog !== null && !logged.has(capture)) {
    logged.add(capture);
    failureLog.start(capture);
    server.once('close', () => failureLog.stop());
  }
  if (guard !== null) {
    for (const state of statesOf(guard)) {
      state.useCapture(capture);
      state.closeWith(server);
    }
  }
  return capture;
}

function attachToPlainServer(server: unknown, guard: Guard | null): null {
  const states = guard === null ? [] : statesOf(guard);
  if (!states.some((state) => state.enforcement.headerSource !== null)) {
    throw new NotTlsServerError(server);
  }
  for (const state of states) {
    state.closeWith(server as HttpServer);
  }
  return null;
}

function readGuard(guard: unknown): Guard | null {
  if (guard === undefined || guard === null) {
    return null;
  }
  if (typeof (guard as { connectionHook?: unknown } | null)?.connectionHook !== 'function') {
    throw new MiddlewareOptionError(
      'guard',
      guard,
      'the guard of a ja4guard() middleware (middleware.guard) or one made with createGuard()',
      'attachCapture()',
    );
  }
  return guard as Guard;
}

function readDropBeforeHandshake(value: unknown, guard: Guard | null): boolean {
  if (value === undefined) {
    return true;
  }
  if (typeof value !== 'boolean') {
    throw new MiddlewareOptionError(
      'dropBeforeHandshake',
      value,
      'true or false',
      'attachCapture()',
    );
  }
  if (guard === null) {
    throw new MiddlewareOptionError(
      'dropBeforeHandshake',
      value,
      'guard next to dropBeforeHandshake, because it has no effect without a guard',
      'attachCapture()',
    );
  }
  return value;
}

function warnHookNotWired(logger: FailureLogger | undefined): void {
  logger?.warn?.(
    { dropBeforeHandshake: true },
    'ja4guard: a ClientHello capture was already attached to this server, so the guard cannot drop connections before the TLS handshake; ' +
      'pass the guard in the first attachCapture() call',
  );
}
