import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { getCapture, type LogMethod } from '@ja4guard/core';
import {
  type AdapterLogger,
  createEnforcement,
  type Decision,
  type DecisionStep,
  type GuardContext,
  type InvalidOption,
  pathOf,
  requestFingerprint,
  toGuardFingerprint,
} from '@ja4guard/guard';
import type { NextFunction, Request, Response } from 'express';
import { MiddlewareOptionError } from './errors.js';
import { MiddlewareState } from './state.js';
import type {
  DecisionHandler,
  Ja4guardMiddleware,
  Ja4guardMiddlewareOptions,
  MiddlewareLogger,
} from './types.js';

const middlewareOptionError: InvalidOption = (option, value, expected) =>
  new MiddlewareOptionError(option, value, expected);

/**
 * Creates middleware that sets `req.ja4` and `req.tlsFingerprint` and, with
 * `rules` or `guard`, blocks (403) and rate-limits (429) requests by their
 * fingerprint. The server that serves the app needs `attachCapture(server)`,
 * or every request gets null unless `trustedHeader` supplies the JA4.
 * Mounted on one route (`app.post('/login', ja4guard({ rules }), handler)`),
 * its rules apply to that route only.
 *
 * @throws {MiddlewareOptionError} for an invalid option of the middleware itself.
 * @throws {GuardError} (from @ja4guard/guard) for an invalid guard option, rule, `trustedHeader` or response option.
 */
export function ja4guard(options: Ja4guardMiddlewareOptions = {}): Ja4guardMiddleware {
  const enforce = options.rules !== undefined || options.guard !== undefined;
  const logger = readLogger(options, enforce);
  const handler = readHandler(options.handler, enforce);
  const enforcement = createEnforcement<Request>(options, {
    logger: logger ?? null,
    invalidOption: middlewareOptionError,
  });
  const state = new MiddlewareState(enforcement);
  const { headerSource, step } = enforcement;
  const decider = step === null ? null : new Decider(step, handler, logger ?? null);
  // The setup check runs until it finds a mistake, then never again.
  let checkSetup = logger !== undefined && headerSource === null;

  const middleware = function ja4guardMiddleware(
    request: Request,
    response: Response,
    next: NextFunction,
  ): void {
    // An earlier ja4guard middleware on the same request already set the fingerprint.
    if (request.tlsFingerprint === undefined) {
      const fingerprint = requestFingerprint(request.socket, request.headers, headerSource);
      request.tlsFingerprint = fingerprint;
      request.ja4 = fingerprint?.ja4 ?? null;
      if (fingerprint === null && checkSetup) {
        checkSetup = !warnSetupMistake(request.socket, logger!);
      }
    }
    state.observe(request.socket);
    if (decider === null) {
      next();
      return;
    }
    decider.decide(request, response, next);
  };

  return Object.assign(middleware, {
    guard: enforcement.guard,
    headerSource,
    metrics: () => state.metrics(),
    ready: () => state.ready(),
    close: () => state.close(),
  });
}

/** Runs the decision step for each request and acts on the decision. */
class Decider {
  readonly #step: DecisionStep<Request>;
  readonly #handler: DecisionHandler | undefined;
  readonly #logger: AdapterLogger | null;

  constructor(
    step: DecisionStep<Request>,
    handler: DecisionHandler | undefined,
    logger: AdapterLogger | null,
  ) {
    this.#step = step;
    this.#handler = handler;
    this.#logger = logger;
  }

  decide(request: Request, response: Response, next: NextFunction): void {
    const context = contextOf(request);
    const decision = this.#step.evaluate(context);
    if (decision instanceof Promise) {
      decision
        .then((settled) => this.#apply(settled, context, request, response, next))
        .catch(next);
      return;
    }
    this.#apply(decision, context, request, response, next);
  }

  #apply(
    decision: Decision | null,
    context: GuardContext,
    request: Request,
    response: Response,
    next: NextFunction,
  ): void {
    if (decision === null) {
      next(this.#step.failure() ?? undefined);
      return;
    }
    const outcome = this.#step.finish(decision, request, context, this.#logger);
    response.set(outcome.headers);
    if (outcome.response === null) {
      next();
      return;
    }
    response.status(outcome.response.statusCode);
    if (this.#handler !== undefined) {
      this.#handler(request, response, next, decision);
      return;
    }
    sendBody(response, outcome.response.body);
  }
}

/**
 * Builds the guard context. `req.ip` follows Express's `trust proxy`
 * setting. Without it, it is the TCP peer, which is the client from a PROXY
 * protocol header when the capture reads one. The path is the full path
 * without the query string, also when the middleware is mounted on a prefix.
 */
function contextOf(request: Request): GuardContext {
  return {
    fingerprint: toGuardFingerprint(request.tlsFingerprint),
    ip: request.ip ?? '',
    method: request.method,
    path: pathOf(request.originalUrl),
    host: request.headers.host ?? null,
    headers: request.headers,
  };
}

function sendBody(response: Response, body: unknown): void {
  if (body === undefined || body === null) {
    response.end();
  } else if (typeof body === 'string' || Buffer.isBuffer(body)) {
    response.send(body);
  } else {
    response.json(body);
  }
}

/**
 * Checks the logger: a `warn` method always, and with a guard the `info` and
 * `error` methods the guard calls plus the method of `decisionLogLevel`.
 */
function readLogger(
  options: Ja4guardMiddlewareOptions,
  enforce: boolean,
): MiddlewareLogger | undefined {
  const logger: unknown = options.logger;
  if (logger === undefined) {
    return undefined;
  }
  const methods: Array<keyof MiddlewareLogger> = ['warn'];
  if (enforce) {
    const level = options.decisionLogLevel;
    methods.push('info', 'error');
    if (typeof level === 'string' && !methods.includes(level)) {
      methods.push(level);
    }
  }
  const candidate = logger as Partial<Record<string, unknown>> | null;
  const missing = methods.filter((method) => typeof candidate?.[method] !== 'function');
  if (missing.length > 0) {
    throw new MiddlewareOptionError(
      'logger',
      logger,
      `a pino-shaped logger with ${methods.join(', ')} methods (missing: ${missing.join(', ')})`,
    );
  }
  return logger as MiddlewareLogger;
}

function readHandler(handler: unknown, enforce: boolean): DecisionHandler | undefined {
  if (handler === undefined) {
    return undefined;
  }
  if (typeof handler !== 'function') {
    throw new MiddlewareOptionError('handler', handler, 'a function (req, res, next, decision)');
  }
  if (!enforce) {
    throw new MiddlewareOptionError(
      'handler',
      handler,
      'rules or guard next to handler, because handler has no effect without a guard',
    );
  }
  return handler as DecisionHandler;
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
      'ja4guard: request arrived over plain HTTP, so req.ja4 is null. Serve the app with https.createServer() and call attachCapture(server); behind a proxy that terminates TLS, set the trustedHeader option.',
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
