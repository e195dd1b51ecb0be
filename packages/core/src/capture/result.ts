import type { Socket } from 'node:net';
import type { ClientHelloParseError } from '../errors.js';
import type { TlsFingerprint } from '../fingerprint/fingerprint.js';
import type { ClientHello } from '../parser/client-hello.js';

/** Outcome of reading a connection's first bytes. */
export type CaptureResult =
  | {
      readonly status: 'captured';
      readonly fingerprint: TlsFingerprint;
      /** The parsed hello, kept only with the `keepClientHello` option. */
      readonly clientHello: ClientHello | null;
    }
  | { readonly status: 'not-tls' }
  | { readonly status: 'sslv2' }
  | { readonly status: 'malformed'; readonly error: ClientHelloParseError };

/** Symbol under which the capture result is stored on the raw socket and on its TLSSocket. */
export const kCaptureResult: unique symbol = Symbol.for('@ja4guard/core.captureResult');

type WithResult = { [kCaptureResult]?: CaptureResult; _parent?: unknown };

/**
 * Returns the capture result of a connection: the raw socket, its TLSSocket,
 * or the socket of an HTTP/1.1 or HTTP/2 request (`request.socket`). Returns
 * null when the server has no capture attached or the socket is not TLS.
 */
export function getCaptureResult(socket: Socket | null | undefined): CaptureResult | null {
  if (socket === null || socket === undefined) return null;
  const holder = socket as unknown as WithResult;
  const own = holder[kCaptureResult];
  if (own !== undefined) return own;
  // NOTE: `_parent` (the raw socket a server TLSSocket wraps) is internal to
  // Node; it is only a fallback for sockets read before 'secureConnection'.
  const parent = holder._parent as WithResult | null | undefined;
  return parent?.[kCaptureResult] ?? null;
}

/** Returns the TLS fingerprint of a connection, or null when there is none. */
export function getFingerprint(socket: Socket | null | undefined): TlsFingerprint | null {
  const result = getCaptureResult(socket);
  return result?.status === 'captured' ? result.fingerprint : null;
}

/** Client address of a connection that came through a PROXY protocol balancer. */
export interface ProxiedClient {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
  /** Address and port of the balancer, as the TCP socket saw them. */
  readonly proxy: { readonly address: string | undefined; readonly port: number | undefined };
}

/** Symbol under which the PROXY protocol client address is stored on the raw socket and its TLSSocket. */
export const kProxiedClient: unique symbol = Symbol.for('@ja4guard/core.proxiedClient');

/**
 * Makes `socket.remoteAddress`, `remotePort` and `remoteFamily` report the
 * client from the PROXY header, so that frameworks (`request.ip` in Fastify
 * and Express), logs and rules see the client instead of the balancer.
 */
export function applyProxiedClient(socket: Socket, client: ProxiedClient): void {
  Object.defineProperties(socket, {
    [kProxiedClient]: { value: client, configurable: true },
    remoteAddress: { value: client.address, configurable: true },
    remotePort: { value: client.port, configurable: true },
    remoteFamily: { value: client.family, configurable: true },
  });
}

/** Returns the PROXY protocol client of a connection, or null when it came directly. */
export function getProxiedClient(socket: Socket | null | undefined): ProxiedClient | null {
  if (socket === null || socket === undefined) return null;
  const holder = socket as unknown as { [kProxiedClient]?: ProxiedClient; _parent?: unknown };
  return (
    holder[kProxiedClient] ??
    (holder._parent as { [kProxiedClient]?: ProxiedClient } | undefined)?.[kProxiedClient] ??
    null
  );
}
