import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server, type ServerOptions } from 'node:https';
import { attach } from './attach.js';
import type { CaptureOptions } from './options.js';

/** Options of {@link createServer}: Node's `https.ServerOptions` plus `capture`. */
export interface CreateServerOptions extends ServerOptions {
  capture?: CaptureOptions;
}

/**
 * Creates an `https.Server` with ClientHello capture attached. Read a
 * request's fingerprint with `getFingerprint(request.socket)`.
 */
export function createServer(
  options: CreateServerOptions,
  handler?: (request: IncomingMessage, response: ServerResponse) => void,
): Server {
  const { capture, ...serverOptions } = options;
  const server =
    handler === undefined
      ? createHttpsServer(serverOptions)
      : createHttpsServer(serverOptions, handler);
  attach(server, capture);
  return server;
}
