import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Capture } from '@ja4guard/core';
import {
  type AttachCaptureOptions,
  attachCapture,
  type Ja4guardMiddleware,
  ja4guard,
} from '@ja4guard/express';
import { createGuard, type Decision, type Guard, type RequestFingerprint } from '@ja4guard/guard';
import { describe, expectTypeOf, it } from 'vitest';

type Handler = ReturnType<typeof ja4guard>;
/** Express's request type, as route handlers receive it. */
type Request = Parameters<Handler>[0];

declare const server: HttpsServer;
declare const plainServer: HttpServer;

describe('@ja4guard/express types', () => {
  it('types req.ja4 and req.tlsFingerprint', () => {
    expectTypeOf<Request['ja4']>().toEqualTypeOf<string | null>();
    expectTypeOf<Request['tlsFingerprint']>().toEqualTypeOf<RequestFingerprint | null>();
    expectTypeOf<Express.Request['ja4']>().toEqualTypeOf<string | null>();
  });

  it('reads req.ja4 without a cast', () => {
    const handler = (request: Request): string => request.ja4 ?? 'none';
    expectTypeOf(handler).returns.toBeString();
  });

  it('accepts the documented options', () => {
    const logger = { warn: (_fields: Record<string, unknown>, _message: string) => {} };
    ja4guard();
    ja4guard({ logger });
    attachCapture(server, {
      capture: { maxHelloBytes: 16_384 },
      logger,
      failureLogIntervalMs: 10_000,
      failureLogLevel: 'warn',
    });
    expectTypeOf<AttachCaptureOptions['logger']>().not.toBeAny();
  });

  it('rejects misspelled options', () => {
    // @ts-expect-error: the option is failureLogIntervalMs.
    attachCapture(server, { failureLogInterval: 10_000 });
    // @ts-expect-error: the middleware has no capture option.
    ja4guard({ capture: {} });
    // @ts-expect-error: a logger needs a warn method.
    ja4guard({ logger: { info: () => {} } });
  });

  it('types the middleware state', () => {
    const middleware = ja4guard({ rules: [] });
    expectTypeOf(middleware).toEqualTypeOf<Ja4guardMiddleware>();
    expectTypeOf(middleware.guard).toEqualTypeOf<Guard | null>();
    expectTypeOf(middleware.ready()).resolves.toBeVoid();
  });

  it('accepts the enforcement options', () => {
    const logger = {
      info: (_fields: Record<string, unknown>, _message: string) => {},
      warn: (_fields: Record<string, unknown>, _message: string) => {},
      error: (_fields: Record<string, unknown>, _message: string) => {},
    };
    ja4guard({
      rules: [{ name: 'bots', match: { ja4: 't13d1516h2_*' }, action: 'block' }],
      logger,
      mode: 'enforce',
      decisionLogLevel: 'info',
      trustedHeader: { header: 'x-ja4', trustedProxies: ['10.0.0.0/8'] },
      handler: (request, response, _next, decision) => {
        expectTypeOf(request.ja4).toEqualTypeOf<string | null>();
        expectTypeOf(decision).toEqualTypeOf<Decision>();
        response.end();
      },
      buildBody: (decision, request) => ({ rule: decision.rule, path: request.path }),
      onLimited: (decision) => {
        expectTypeOf(decision.retryAfterMs).toEqualTypeOf<number | null>();
      },
    });
    ja4guard({ guard: createGuard() });
  });

  it('types attachCapture with a guard', () => {
    const guard = createGuard();
    expectTypeOf(
      attachCapture(server, { guard, dropBeforeHandshake: false }),
    ).toEqualTypeOf<Capture>();
    // A plain server behind a TLS-ending proxy has no capture.
    expectTypeOf(attachCapture(plainServer, { guard })).toEqualTypeOf<Capture | null>();
    // @ts-expect-error: a plain server needs the guard of a middleware with trustedHeader.
    attachCapture(plainServer);
  });

  it('rejects guard options next to guard', () => {
    // @ts-expect-error: store belongs to createGuard() when a guard is passed.
    ja4guard({ guard: createGuard(), store: { type: 'memory' } });
    // @ts-expect-error: the handler receives the decision fourth.
    ja4guard({ rules: [], handler: (_request, _response, _next, _decision, _extra: number) => {} });
  });
});
