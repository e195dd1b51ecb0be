import { Server as TlsServer } from 'node:tls';
import { attach, type Capture, CaptureFailureLog, getCapture } from '@ja4guard/core';
import {
  collectMetrics,
  createEnforcement,
  type Enforcement,
  type Guard,
  type GuardStats,
  type HeaderSource,
  type InvalidOption,
  type MetricsSnapshot,
  type PrometheusMetrics,
  registerPrometheusMetrics,
  type StatsSource,
  withConnectionHook,
} from '@ja4guard/guard';
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { NotTlsServerError, PluginOptionError } from './errors.js';
import { createRequestHook } from './request-hook.js';
import { RouteGuards } from './route-guards.js';
import type { Ja4guardDecorator, Ja4guardPluginOptions } from './types.js';

const pluginOptionError: InvalidOption = (option, value, expected) =>
  new PluginOptionError(option, value, expected);

/** State behind `fastify.ja4guard`, filled in during registration. */
class PluginState implements Ja4guardDecorator {
  attachedCapture: Capture | null = null;
  guard: Guard | null = null;
  headerSource: HeaderSource | null = null;
  routes: RouteGuards | null = null;
  readonly #server: unknown;

  constructor(server: unknown) {
    this.#server = server;
  }

  get capture(): Capture {
    if (this.attachedCapture === null) {
      throw new NotTlsServerError(
        this.#server,
        'fastify.ja4guard.capture exists only on a server that terminates TLS',
      );
    }
    return this.attachedCapture;
  }

  metrics(): MetricsSnapshot {
    return collectMetrics({
      capture: this.attachedCapture ?? undefined,
      guard: guardStatsSource(this.guard, this.routes),
      headerSource: this.headerSource ?? undefined,
    });
  }
}

const plugin: FastifyPluginAsync<Ja4guardPluginOptions> = async (fastify, options) => {
  const server: unknown = fastify.server;
  const terminatesTls = server instanceof TlsServer;
  // Behind a proxy that ends TLS there is no ClientHello, and the header carries the JA4.
  if (!terminatesTls && options.trustedHeader === undefined) {
    throw new NotTlsServerError(server);
  }
  const dropBeforeHandshake = readDropBeforeHandshake(options);

  // Options are checked before the capture takes over the server's listeners.
  const failureLog = new CaptureFailureLog(fastify.log, options);
  const state = new PluginState(server);
  // A second registration fails here, before a guard or a failure log starts.
  fastify.decorate('ja4guard', state);
  fastify.decorateRequest('ja4', null);
  fastify.decorateRequest('tlsFingerprint', null);

  const enforcement = createEnforcement<FastifyRequest>(options, {
    logger: fastify.log,
    invalidOption: pluginOptionError,
  });
  const routes = new RouteGuards(enforcement, pluginOptionError);
  state.guard = enforcement.guard;
  state.headerSource = enforcement.headerSource;
  state.routes = routes;

  let metrics: PrometheusMetrics | null;
  try {
    if (terminatesTls) {
      const hook = dropBeforeHandshake ? (enforcement.guard?.connectionHook() ?? null) : null;
      state.attachedCapture = attachCapture(server, options, hook, fastify.log);
    }
    metrics = await registerMetrics(enforcement, state);
    await enforcement.guard?.ready();
  } catch (error) {
    if (enforcement.ownsGuard) {
      await enforcement.guard?.close();
    }
    throw error;
  }
  if (state.attachedCapture !== null) {
    failureLog.start(state.attachedCapture);
  }

  fastify.addHook('onRoute', (route) => routes.register(route));
  fastify.addHook(
    'onRequest',
    createRequestHook(enforcement.headerSource, enforcement.step, routes),
  );
  fastify.addHook('onClose', async () => {
    failureLog.stop();
    metrics?.unregister();
    await routes.close();
    // A guard passed in by the user may serve other apps, so only the plugin's own is closed.
    if (enforcement.ownsGuard) {
      await enforcement.guard?.close();
    }
  });
};

function readDropBeforeHandshake(options: Ja4guardPluginOptions): boolean {
  const value: unknown = options.dropBeforeHandshake;
  if (value === undefined) {
    return true;
  }
  if (typeof value !== 'boolean') {
    throw new PluginOptionError('dropBeforeHandshake', value, 'true or false');
  }
  if (options.rules === undefined && options.guard === undefined) {
    throw new PluginOptionError(
      'dropBeforeHandshake',
      value,
      'rules or guard next to dropBeforeHandshake, because it has no effect without a guard',
    );
  }
  return value;
}

/**
 * Attaches the capture with the guard's connection hook, or returns the
 * capture already attached, whose hook cannot change any more.
 */
function attachCapture(
  server: TlsServer,
  options: Ja4guardPluginOptions,
  hook: ReturnType<Guard['connectionHook']> | null,
  logger: FastifyBaseLogger,
): Capture {
  const existing = getCapture(server);
  if (existing === null) {
    return attach(server, withConnectionHook(options.capture, hook));
  }
  if (hook !== null) {
    logger.warn(
      { dropBeforeHandshake: true },
      'ja4guard: a ClientHello capture was already attached to fastify.server, so the guard cannot drop connections before the TLS handshake; ' +
        'pass onClientHello: guard.connectionHook() where that capture is attached, or let the plugin attach it',
    );
  }
  return existing;
}

function registerMetrics(
  enforcement: Enforcement<FastifyRequest>,
  state: PluginState,
): Promise<PrometheusMetrics> | null {
  if (enforcement.prometheus === null) {
    return null;
  }
  return registerPrometheusMetrics({
    ...enforcement.prometheus,
    capture: state.attachedCapture ?? undefined,
    guard: guardStatsSource(state.guard, state.routes),
    headerSource: state.headerSource ?? undefined,
  });
}

function guardStatsSource(
  guard: Guard | null,
  routes: RouteGuards | null,
): StatsSource<GuardStats> | undefined {
  if (guard === null) {
    return undefined;
  }
  return { stats: () => routes?.stats(guard) ?? guard.stats() };
}

/**
 * Fastify plugin that fingerprints each TLS client and, with `rules` or
 * `guard`, blocks and rate-limits requests by their fingerprint. It attaches
 * ClientHello capture to `fastify.server`, sets `request.ja4` and
 * `request.tlsFingerprint` in an `onRequest` hook, and runs the guard in the
 * same hook.
 *
 * @throws {NotTlsServerError} at registration when the app was created without `https` and `trustedHeader` is not set.
 * @throws {PluginOptionError} at registration for an invalid option of the plugin itself.
 * @throws {FailureLogOptionError} at registration for an invalid `failureLog*` option.
 * @throws {CaptureOptionError} (from @ja4guard/core) at registration for an invalid `capture` option.
 * @throws {GuardError} (from @ja4guard/guard) at registration for an invalid guard option, rule, `trustedHeader` or `prometheus` setting.
 */
export const ja4guard = fastifyPlugin(plugin, {
  name: '@ja4guard/fastify',
  fastify: '5.x',
});
