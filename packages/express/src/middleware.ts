import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { LogMethod } from '@ja4guard/core';
import { getCapture, getFingerprint } from '@ja4guard/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { MiddlewareOptionError } from './errors.js';
import type { Ja4guardMiddlewareOptions } from './types.js';

/**
 * Creates middleware that sets `req.ja4` and `req.tlsFingerprint` from the
 * request's connection. The server that serves the app needs
 * `attachCapture(server)`, or every request gets null.
 *
 * @throws {MiddlewareOptionError} when `logger` has no `warn` method.
 */
export function ja4guard(options: Ja4guardMiddlewareOptions = {}): RequestHandler {
  const logger = options.logger;
  if (logger !== undefined && typeof logger?.warn !== 'function') {
    throw new MiddlewareOptionError('logger', logger, 'a pino-shaped logger with a warn method');
  }
  // The setup check runs until it finds a mistake, then never again.
  let checkSetup = logger !== undefined;

  // Rule enforcement will add its decision step after the fingerprint is set.
  return function ja4guardMiddleware(request: Request, _response: Response, next: NextFunction) {
    const fingerprint = getFingerprint(request.socket);
    request.tlsFingerprint = fingerprint;
    request.ja4 = fingerprint?.ja4 ?? null;
    if (fingerprint === null && checkSetup) {
      checkSetup = !warnSetupMistake(request.socket, logger!);
    }
    next();
  };
}

/**
 * Warns when a request without a fingerprint shows that no request can have
 * one. Returns true when it warned.
 */
function warnSetupMistake(socket: Socket, logger: { warn: LogMethod }): boolean {
  const server: unknown = (socket as { server?: unknown }).server;
  if ((socket as { encrypted?: boolean }).encrypted !== true) {
    logger.warn(
      { remoteAddress: socket.remoteAddress },
      'ja4guard: request arrived over plain HTTP, so req.ja4 is null. Serve the app with https.createServer() and call attachCapture(server); behind a proxy that terminates TLS there is no ClientHello to read.',
    );
    return true;
  }
  if (server instanceof TlsServer && getCapture(server) === null) {
    logger.warn(
      { remoteAddress: socket.remoteAddress },
      'ja4guard: no ClientHello capture on the server of this request, so req.ja4 is null. Call attachCapture(server) before server.listen().',
    );
    return true;
  }
  return false;
}
