import { Server as TlsServer } from 'node:tls';
import { attach, type Capture, CaptureFailureLog } from '@ja4guard/core';
import { NotTlsServerError } from './errors.js';
import type { AttachCaptureOptions } from './types.js';

/** Captures that already have a failure log, so a second call does not log twice. */
const logged = new WeakSet<Capture>();

/**
 * Attaches ClientHello capture to the `https.Server` that serves the app.
 * Call it before `server.listen()`: connections accepted earlier have no
 * fingerprint. Calling it again returns the same capture and ignores the new
 * options.
 *
 * @throws {NotTlsServerError} when `server` is not a `tls.Server` (for example a plain `http.Server`).
 * @throws {FailureLogOptionError} for an invalid `logger` or `failureLog*` option.
 * @throws {CaptureOptionError} (from @ja4guard/core) for an invalid `capture` option.
 */
// NOTE: Express serves HTTP/1.1 here, not HTTP/2. Checked with Express 5.3.0
// on Node 20.20: behind http2.createSecureServer({ allowHTTP1: true }, app),
// HTTP/1.1 clients work, but each HTTP/2 request raises uncaught TypeErrors,
// because Express replaces the prototype of Node's Http2ServerRequest. Use
// @ja4guard/fastify with `http2: true` for HTTP/2 clients.
export function attachCapture(server: TlsServer, options: AttachCaptureOptions = {}): Capture {
  if (!(server instanceof TlsServer)) throw new NotTlsServerError(server);

  // Options are checked before the capture takes over the server's listeners.
  const failureLog =
    options.logger === undefined ? null : new CaptureFailureLog(options.logger, options);
  const capture = attach(server, options.capture);
  if (failureLog !== null && !logged.has(capture)) {
    logged.add(capture);
    failureLog.start(capture);
    server.once('close', () => failureLog.stop());
  }
  return capture;
}
