import type { Socket } from 'node:net';
import { getFingerprint } from '@ja4guard/core';
import type {
  HeaderSource,
  RequestFingerprint,
  SocketFingerprint,
} from '../http/trusted-header.js';

/** Request headers with lowercase names, as Node's `IncomingHttpHeaders`. */
type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Returns the fingerprint of a request: the one captured from its TLS
 * connection or, with a header source, the JA4 header of a trusted proxy.
 * The header source decides by the TCP peer address, never by a
 * forwarded-for header. After a PROXY protocol header that address is the
 * client's, because @ja4guard/core rewrites `socket.remoteAddress`.
 */
export function requestFingerprint(
  socket: Socket | null | undefined,
  headers: Headers,
  headerSource: HeaderSource | null,
): RequestFingerprint | null {
  // The capture only makes fingerprints with source 'socket'.
  const own = getFingerprint(socket) as SocketFingerprint | null;
  if (headerSource === null) {
    return own;
  }
  return headerSource.resolve({ peerAddress: socket?.remoteAddress, headers }, own).fingerprint;
}

/** Returns the path of a request target without its query string. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * Calls `next` with the value, at once or when the promise settles. It is not
 * named `then`, because `await import()` treats a module that exports `then`
 * as a promise.
 */
export function chain<Value, Result>(
  value: Value | Promise<Value>,
  next: (settled: Value) => Result | Promise<Result>,
): Result | Promise<Result> {
  return value instanceof Promise ? value.then(next) : next(value);
}
