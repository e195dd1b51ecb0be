import { Server as HttpServer } from 'node:http';

/**
 * Error thrown when `fastify.server` does not terminate TLS, so there is no
 * ClientHello to fingerprint: at registration without `trustedHeader`, and by
 * `fastify.ja4guard.capture`.
 */
export class NotTlsServerError extends TypeError {
  override readonly name = 'NotTlsServerError';
  readonly code = 'ERR_NOT_TLS_SERVER';

  /**
   * @param server the server that was found.
   * @param subject what needs the TLS server; default: the plugin at registration.
   */
  constructor(
    server: unknown,
    subject = '@ja4guard/fastify needs a TLS server to read ClientHellos',
  ) {
    super(
      `${subject}, but fastify.server is ${describeServer(server)}. ` +
        'Create the app with Fastify({ https: { key, cert } }), or with Fastify({ http2: true, https: { key, cert } }) for HTTP/2. ' +
        'Behind a proxy or CDN that ends TLS, set the trustedHeader option instead.',
    );
  }
}

/** Error for an invalid plugin option, thrown at registration. */
export class PluginOptionError extends TypeError {
  override readonly name = 'PluginOptionError';
  readonly code = 'ERR_INVALID_PLUGIN_OPTION';
  /** Name of the option. */
  readonly option: string;
  /** The value received. */
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string) {
    super(
      `Invalid option ${option} of @ja4guard/fastify: expected ${expected}, received ${describeValue(value)}.`,
    );
    this.option = option;
    this.value = value;
  }
}

function describeServer(server: unknown): string {
  if (server instanceof HttpServer) return 'a plain http.Server';
  if (typeof server !== 'object' || server === null) return String(server);
  const name = (server as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name} without TLS` : 'not a tls.Server';
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
