import type { TlsFingerprint } from '@ja4guard/core';
import { type AttachCaptureOptions, attachCapture, ja4guard } from '@ja4guard/express';
import { describe, expectTypeOf, it } from 'vitest';

type Handler = ReturnType<typeof ja4guard>;
/** Express's request type, as route handlers receive it. */
type Request = Parameters<Handler>[0];

declare const server: Parameters<typeof attachCapture>[0];

describe('@ja4guard/express types', () => {
  it('types req.ja4 and req.tlsFingerprint', () => {
    expectTypeOf<Request['ja4']>().toEqualTypeOf<string | null>();
    expectTypeOf<Request['tlsFingerprint']>().toEqualTypeOf<TlsFingerprint | null>();
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
});
