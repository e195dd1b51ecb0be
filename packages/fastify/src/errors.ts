import { Server as HttpServer } from 'node:http';

/**
 * Error thrown at registration when `fastify.server` does not terminate TLS,
 * so there is no ClientHello to fingerprint.
 */
export class NotTlsServerError extends TypeError {
  override readonly name = 'NotTlsServerError';
  readonly code = 'ERR_NOT_TLS_SERVER';

  constructor(server: unknown) {
    super(
      `@ja4guard/fastify needs a TLS server to read ClientHellos, but fastify.server is ${describeServer(server)}. ` +
        'Create the app with Fastify({ https: { key, cert } }), or with Fastify({ http2: true, https: { key, cert } }) for HTTP/2.',
    );
  }
}

function describeServer(server: unknown): string {
  if (server instanceof HttpServer) return 'a plain http.Server';
  if (typeof server !== 'object' || server === null) return String(server);
  const name = (server as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name} without TLS` : 'not a tls.Server';
}
