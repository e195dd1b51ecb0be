import type { Capture, CaptureOptions, FailureLogOptions } from '@ja4guard/core';
import type {
  EnforcementOptions,
  Guard,
  GuardRule,
  HeaderSource,
  MetricsSnapshot,
  RequestFingerprint,
} from '@ja4guard/guard';
import type { FastifyRequest } from 'fastify';

/** Options of the plugin that concern the capture and the connection stage. */
export interface CaptureSettings {
  /**
   * Options of the ClientHello capture attached to `fastify.server`: time and
   * size limits, what to do with malformed or non-TLS first bytes, and the
   * `onClientHello` hook. They are ignored when a capture is already attached
   * to the server. Default: the defaults of `attach()` in @ja4guard/core.
   */
  readonly capture?: CaptureOptions;
  /**
   * With a guard, check the blocklist and the rules with `stage: 'connection'`
   * on each ClientHello and close the TCP connection before the TLS handshake
   * on a block or an exceeded rate limit. A `capture.onClientHello` of your
   * own runs first, and the connection is dropped when either returns
   * `'drop'`. Default true.
   */
  readonly dropBeforeHandshake?: boolean;
}

/**
 * Options of the @ja4guard/fastify plugin. Without `rules` and `guard` the
 * plugin only sets `request.ja4` and `request.tlsFingerprint`.
 */
export type Ja4guardPluginOptions = FailureLogOptions &
  CaptureSettings &
  EnforcementOptions<FastifyRequest>;

/** Setting of one route in `config.ja4guard`. */
export interface RouteGuardConfig {
  /**
   * Rules that run on this route before the app's rules, in a guard built
   * once when the route is registered with `withRules()` of the app guard, so
   * it shares the app guard's blocklist and store. Needs `rules` or `guard` on
   * the plugin. Only
   * `block`, `rateLimit` and `log` rules at the request stage: use
   * `config: { ja4guard: false }` to exempt a route. Rule names must differ
   * from the app's rules and from other routes' rules, because with Redis a
   * rule's name is the name of its counters.
   */
  readonly rules: readonly GuardRule[];
}

/** The `fastify.ja4guard` decorator. */
export interface Ja4guardDecorator {
  /**
   * The capture attached to `fastify.server`; `stats()` returns its counters.
   * Reading it throws `NotTlsServerError` when the server does not terminate
   * TLS, which only `trustedHeader` allows.
   */
  readonly capture: Capture;
  /** The guard that makes the decisions: the one the plugin created, or the `guard` option. Null without rules. */
  readonly guard: Guard | null;
  /** The trusted fingerprint header source, or null without `trustedHeader`. */
  readonly headerSource: HeaderSource | null;
  /**
   * Returns a snapshot of the counters of the capture, the guard and the
   * header source. The guard section includes the per-route guards, and a
   * section is null when its source is absent.
   */
  metrics(): MetricsSnapshot;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * JA4 of the client: from the ClientHello that opened this request's
     * connection, or from a trusted proxy's header with `trustedHeader`. Null
     * when there is none: the first bytes were not a well-formed ClientHello,
     * the connection was accepted before the plugin was registered, the
     * request did not come over a socket (`inject()`), or a trusted proxy sent
     * no valid header.
     */
    ja4: string | null;
    /**
     * The fingerprint behind `ja4`. With `source: 'socket'` it has every
     * field of the connection's ClientHello (JA4, JA4_r, JA4_o, JA4_ro, JA3,
     * the JA3 string, SNI, ALPN, TLS versions). With `source: 'header'` only
     * the JA4 is known, and the other fields are null or empty. Null when
     * `ja4` is.
     */
    tlsFingerprint: RequestFingerprint | null;
  }

  interface FastifyInstance {
    /** State of the @ja4guard/fastify plugin. */
    ja4guard: Ja4guardDecorator;
  }

  interface FastifyContextConfig {
    /**
     * ja4guard setting of this route: `false` skips the guard (the
     * fingerprint is still set), and `{ rules }` adds rules that run before
     * the app's rules. Default: the app's rules.
     */
    ja4guard?: false | RouteGuardConfig;
  }
}
