import * as http from 'node:http';
import * as https from 'node:https';
import express, { type Express } from 'express';
import type { TestCertificate } from '../../../../test/helpers/certificate.js';
import { listen } from '../../../../test/helpers/net.js';
import {
  type AttachCaptureOptions,
  attachCapture,
  type Capture,
  type Ja4guardMiddleware,
  type Ja4guardMiddlewareOptions,
  ja4guard,
} from '../../src/index.js';

/** One call to a {@link recordingLogger} method. */
export interface LogCall {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/** Creates a pino-shaped logger that keeps every call. */
export function recordingLogger() {
  const calls: LogCall[] = [];
  const method =
    (level: LogCall['level']) =>
    (fields: Record<string, unknown>, message: string): void => {
      calls.push({ level, fields, message });
    };
  return {
    calls,
    logger: {
      debug: method('debug'),
      info: method('info'),
      warn: method('warn'),
      error: method('error'),
    },
  };
}

/** Returns the calls whose message starts with `ja4guard`. */
export function guardCalls(calls: readonly LogCall[]): LogCall[] {
  return calls.filter((call) => call.message.startsWith('ja4guard'));
}

/** Options of {@link startApp}. */
export interface StartOptions {
  /** Null starts plain HTTP. */
  certificate: TestCertificate | null;
  middleware?: Ja4guardMiddlewareOptions;
  /** Options of `attachCapture`; the middleware's guard is passed unless `guard` is set to undefined here. */
  attach?: AttachCaptureOptions | false;
  /** Adds routes after the middleware. */
  routes?: (app: Express) => void;
}

/** An app started by {@link startApp}. */
export interface StartedApp {
  app: Express;
  server: http.Server;
  middleware: Ja4guardMiddleware;
  /** The capture, or null over plain HTTP or without attachCapture. */
  capture: Capture | null;
  port: number;
}

/**
 * Starts an Express app on 127.0.0.1 behind `ja4guard()`, with the routes the
 * tests read: `/` returns `req.ja4` and `/fingerprint` the whole fingerprint.
 * `servers` collects the server for closing.
 */
export async function startApp(servers: http.Server[], options: StartOptions): Promise<StartedApp> {
  const app = express();
  const middleware: Ja4guardMiddleware = ja4guard(options.middleware);
  app.use(middleware);
  options.routes?.(app);
  app.get('/', (request, response) => {
    response.type('text/plain').send(request.ja4 ?? 'none');
  });
  app.get('/fingerprint', (request, response) => {
    response.json({ ja4: request.ja4, tlsFingerprint: request.tlsFingerprint });
  });

  const server =
    options.certificate === null
      ? http.createServer(app)
      : https.createServer(options.certificate, app);
  servers.push(server);
  const capture =
    options.attach === false || options.certificate === null
      ? null
      : attachCapture(server as https.Server, {
          guard: middleware.guard,
          ...options.attach,
        });
  const port = await listen(server);
  await middleware.ready();
  return { app, server, middleware, capture, port };
}
