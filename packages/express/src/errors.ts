import { Server as HttpServer } from 'node:http';

/**
 * Error thrown by `attachCapture` when the server does not terminate TLS, so
 * there is no ClientHello to fingerprint.
 */
export class NotTlsServerError extends TypeError {
  override readonly name = 'NotTlsServerError';
  readonly code = 'ERR_NOT_TLS_SERVER';

  constructor(server: unknown) {
    super(
      `attachCapture() needs a TLS server to read ClientHellos, but received ${describeServer(server)}. ` +
        'Serve the app with https.createServer({ key, cert }, app) and pass that server. ' +
        'Behind a proxy or CDN that ends TLS, set trustedHeader on the middleware and pass its guard, or do not call attachCapture().',
    );
  }
}

/**
 * Error for an invalid option of the `ja4guard()` middleware, thrown when it
 * is created, or of `attachCapture()`.
 */
export class MiddlewareOptionError extends TypeError {
  override readonly name = 'MiddlewareOptionError';
  readonly code = 'ERR_INVALID_MIDDLEWARE_OPTION';
  /** Name of the option. */
  readonly option: string;
  /** The value received. */
  readonly value: unknown;

  /**
   * @param expected what the option accepts, or what it needs next to it.
   * @param functionName the function that received the option.
   */
  constructor(option: string, value: unknown, expected: string, functionName = 'ja4guard()') {
    super(
      `Invalid option ${option} of ${functionName}: expected ${expected}, received ${describeValue(value)}.`,
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
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
