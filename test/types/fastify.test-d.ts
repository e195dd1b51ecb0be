import type { TlsFingerprint } from '@ja4guard/core';
import { type Ja4guardDecorator, type Ja4guardPluginOptions, ja4guard } from '@ja4guard/fastify';
import { describe, expectTypeOf, it } from 'vitest';

/** The Fastify instance type the plugin is written for. */
declare const app: Parameters<typeof ja4guard>[0];

describe('@ja4guard/fastify types', () => {
  it('types request.ja4 and request.tlsFingerprint', () => {
    app.get('/', async (request) => {
      expectTypeOf(request.ja4).toEqualTypeOf<string | null>();
      expectTypeOf(request.tlsFingerprint).toEqualTypeOf<TlsFingerprint | null>();
      if (request.tlsFingerprint !== null) {
        expectTypeOf(request.tlsFingerprint.alpnProtocols).toEqualTypeOf<readonly string[]>();
      }
      // No cast: the merged declaration is what makes this compile.
      const ja4: string | null = request.ja4;
      return ja4;
    });
  });

  it('types the ja4guard decorator', () => {
    expectTypeOf(app.ja4guard).toEqualTypeOf<Ja4guardDecorator>();
    expectTypeOf(app.ja4guard.capture.stats().captured).toBeNumber();
  });

  it('accepts the documented options', () => {
    app.register(ja4guard);
    app.register(ja4guard, {
      capture: { helloTimeoutMs: 5_000, dropNotTls: true },
      failureLogIntervalMs: 30_000,
      failureLogLevel: 'error',
    });
    expectTypeOf<Ja4guardPluginOptions['failureLogLevel']>().toEqualTypeOf<
      'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | undefined
    >();
  });

  it('rejects misspelled options', () => {
    // @ts-expect-error: the option is failureLogIntervalMs.
    app.register(ja4guard, { failureLogIntervalMS: 30_000 });
    // @ts-expect-error: 'silent' is not a level that writes lines.
    app.register(ja4guard, { failureLogLevel: 'silent' });
    // @ts-expect-error: the capture option is helloTimeoutMs.
    app.register(ja4guard, { capture: { helloTimeout: 5_000 } });
  });
});
