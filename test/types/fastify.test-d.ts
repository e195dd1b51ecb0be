import {
  type Ja4guardDecorator,
  type Ja4guardPluginOptions,
  ja4guard,
  type RouteGuardConfig,
} from '@ja4guard/fastify';
import {
  createGuard,
  type Decision,
  type Guard,
  type MetricsSnapshot,
  type RequestFingerprint,
  redisStore,
} from '@ja4guard/guard';
import type { FastifyRequest } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';

/** The Fastify instance type the plugin is written for. */
declare const app: Parameters<typeof ja4guard>[0];

describe('@ja4guard/fastify types', () => {
  it('types request.ja4 and request.tlsFingerprint', () => {
    app.get('/', async (request) => {
      expectTypeOf(request.ja4).toEqualTypeOf<string | null>();
      expectTypeOf(request.tlsFingerprint).toEqualTypeOf<RequestFingerprint | null>();
      const fingerprint = request.tlsFingerprint;
      if (fingerprint !== null) {
        expectTypeOf(fingerprint.alpnProtocols).toEqualTypeOf<readonly string[]>();
        expectTypeOf(fingerprint.ja4).toBeString();
        // A header fingerprint carries only the JA4.
        expectTypeOf(fingerprint.ja4_r).toEqualTypeOf<string | null>();
        if (fingerprint.source === 'header') {
          expectTypeOf(fingerprint.ja4_r).toBeNull();
          expectTypeOf(fingerprint.header).toBeString();
        } else {
          expectTypeOf(fingerprint.ja4_r).toBeString();
          expectTypeOf(fingerprint.ja3).toBeString();
        }
      }
      // No cast: the merged declaration is what makes this compile.
      const ja4: string | null = request.ja4;
      return ja4;
    });
  });

  it('types the ja4guard decorator', () => {
    expectTypeOf(app.ja4guard).toEqualTypeOf<Ja4guardDecorator>();
    expectTypeOf(app.ja4guard.capture.stats().captured).toBeNumber();
    expectTypeOf(app.ja4guard.guard).toEqualTypeOf<Guard | null>();
    expectTypeOf(app.ja4guard.metrics()).toEqualTypeOf<MetricsSnapshot>();
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

  it('accepts the enforcement options', () => {
    app.register(ja4guard, {
      rules: [
        { name: 'bots', match: { ja4: 't13d1516h2_*' }, action: 'block' },
        { name: 'api', action: 'rateLimit', rateLimit: { points: 100, duration: 60 } },
      ],
      mode: 'dry-run',
      failClosed: true,
      maxKeys: 50_000,
      rateLimitHeaders: 'legacy',
      headersOnPass: false,
      decisionLogLevel: 'warn',
      dropBeforeHandshake: false,
      trustedHeader: { preset: 'cloudfront', trustedProxies: ['10.0.0.0/8'] },
      prometheus: {},
      buildBody: (decision, request) => {
        expectTypeOf(decision).toEqualTypeOf<Decision>();
        expectTypeOf(request).toEqualTypeOf<FastifyRequest>();
        return { denied: true };
      },
      onDecision: (decision, request) => {
        expectTypeOf(request.ja4).toEqualTypeOf<string | null>();
        expectTypeOf(decision.enforced).toBeBoolean();
      },
      onBlocked: () => {},
      onLimited: () => {},
    });
  });

  it('accepts a Redis store or a guard', () => {
    const client = {} as Parameters<typeof redisStore>[0];
    app.register(ja4guard, { rules: [], store: redisStore(client), keyPrefix: 'app:' });
    app.register(ja4guard, { guard: createGuard(), decisionLogLevel: 'debug' });
  });

  it('rejects guard options next to guard', () => {
    // @ts-expect-error: rules belong to createGuard() when a guard is passed.
    app.register(ja4guard, { guard: createGuard(), rules: [] });
    // @ts-expect-error: mode belongs to createGuard() when a guard is passed.
    app.register(ja4guard, { guard: createGuard(), mode: 'dry-run' });
  });

  it('rejects invalid enforcement options', () => {
    // @ts-expect-error: 'verbose' is not a pino level.
    app.register(ja4guard, { rules: [], decisionLogLevel: 'verbose' });
    // @ts-expect-error: a rule needs an action.
    app.register(ja4guard, { rules: [{ name: 'x' }] });
    // @ts-expect-error: the option is rateLimitHeaders.
    app.register(ja4guard, { rules: [], rateLimitHeader: 'draft' });
  });

  it('types the route config', () => {
    app.get('/health', { config: { ja4guard: false } }, async () => 'ok');
    app.post(
      '/login',
      {
        config: {
          ja4guard: {
            rules: [{ name: 'login', action: 'rateLimit', rateLimit: { points: 5, duration: 60 } }],
          },
        },
      },
      async () => 'ok',
    );
    app.get('/', async (request) => {
      expectTypeOf(request.routeOptions.config.ja4guard).toEqualTypeOf<
        false | RouteGuardConfig | undefined
      >();
    });
  });

  it('rejects a misspelled route config', () => {
    // @ts-expect-error: the setting is rules, not rule.
    app.get('/a', { config: { ja4guard: { rule: [] } } }, async () => 'ok');
    // @ts-expect-error: true is not a setting; leave it out to use the app rules.
    app.get('/b', { config: { ja4guard: true } }, async () => 'ok');
    app.get(
      '/c',
      // @ts-expect-error: route rules need an action.
      { config: { ja4guard: { rules: [{ name: 'x', match: { path: '/c' } }] } } },
      async () => 'ok',
    );
  });
});
