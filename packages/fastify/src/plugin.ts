import { Server as TlsServer } from 'node:tls';
import {
  attach,
  type Capture,
  CaptureFailureLog,
  type CaptureOptions,
  type FailureLogOptions,
  getFingerprint,
  type TlsFingerprint,
} from '@ja4guard/core';
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { NotTlsServerError } from './errors.js';

/** Options of the @ja4guard/fastify plugin. */
export interface Ja4guardPluginOptions extends FailureLogOptions {
  /**
   * Options of the ClientHello capture attached to `fastify.server`: time and
   * size limits, what to do with malformed or non-TLS first bytes, and the
   * `onClientHello` hook. They are ignored when a capture is already attached
   * to the server. Default: the defaults of `attach()` in @ja4guard/core.
   */
  capture?: CaptureOptions;
}

/** The `fastify.ja4guard` decorator. */
export interface Ja4guardDecorator {
  /** The capture attached to `fastify.server`; `stats()` returns its counters. */
  readonly capture: Capture;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * JA4 of the ClientHello that opened this request's connection. Null when
     * the connection has no fingerprint: its first bytes were not a
     * well-formed ClientHello, it was accepted before the plugin was
     * registered, or the request did not come over a socket (`inject()`).
     */
    ja4: string | null;
    /**
     * All fingerprints of the connection's ClientHello (JA4, JA4_r, JA4_o,
     * JA4_ro, JA3, the JA3 string), with the SNI host name, the ALPN
     * protocols and TLS versions offered, and `source`. Null when `ja4` is.
     */
    tlsFingerprint: TlsFingerprint | null;
  }

  interface FastifyInstance {
    /** State of the @ja4guard/fastify plugin. */
    ja4guard: Ja4guardDecorator;
  }
}

const plugin: FastifyPluginAsync<Ja4guardPluginOptions> = async (fastify, options) => {
  const server: unknown = fastify.server;
  if (!(server instanceof TlsServer)) throw new NotTlsServerError(server);

  // Options are checked before the capture takes over the server's listeners.
  const failureLog = new CaptureFailureLog(fastify.log, options);
  const capture = attach(server, options.capture);

  // A second registration fails here, before a second failure log starts.
  fastify.decorate('ja4guard', { capture });
  fastify.decorateRequest('ja4', null);
  fastify.decorateRequest('tlsFingerprint', null);
  failureLog.start(capture);

  // Rule enforcement will add its decision step after this hook.
  fastify.addHook('onRequest', setFingerprint);
  fastify.addHook('onClose', (_instance: FastifyInstance, done: HookHandlerDoneFunction) => {
    failureLog.stop();
    done();
  });
};

/**
 * Copies the connection's fingerprint onto the request. `request.raw.socket`
 * is the TLSSocket under HTTP/1.1 and a proxy to the session's TLSSocket
 * under HTTP/2; `getFingerprint` reads both.
 */
function setFingerprint(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const fingerprint = getFingerprint(request.raw.socket);
  request.tlsFingerprint = fingerprint;
  request.ja4 = fingerprint?.ja4 ?? null;
  done();
}

/**
 * Fastify plugin that fingerprints each TLS client. It attaches ClientHello
 * capture to `fastify.server` and sets `request.ja4` and
 * `request.tlsFingerprint` in an `onRequest` hook.
 *
 * @throws {NotTlsServerError} at registration when the app was created without `https`.
 * @throws {FailureLogOptionError} at registration for an invalid `failureLog*` option.
 * @throws {CaptureOptionError} (from @ja4guard/core) at registration for an invalid `capture` option.
 */
export const ja4guard = fastifyPlugin(plugin, {
  name: '@ja4guard/fastify',
  fastify: '5.x',
});
