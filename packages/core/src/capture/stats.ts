import type { ParseErrorCode } from '../errors.js';

/** Reason a connection has no fingerprint, or was closed. */
export type CaptureFailureKind =
  /** The first bytes are not TLS (for example plain HTTP); handed to Node's TLS untouched. */
  | 'not-tls'
  /** An SSL 2.0-compatible hello; handed on without a fingerprint. */
  | 'sslv2'
  /** A complete but malformed ClientHello; handed on without a fingerprint, or closed with `dropMalformed`. */
  | 'malformed'
  /** The hello did not complete before `helloTimeoutMs`; the socket was destroyed. */
  | 'timeout'
  /** The hello grew past `maxHelloBytes`; the socket was destroyed. */
  | 'oversized'
  /** The client closed or reset the connection before its hello was complete. */
  | 'incomplete'
  /** The `onClientHello` hook threw, rejected or did not settle in time, so the connection was accepted. */
  | 'hook-failed'
  /** A missing or invalid PROXY header from a trusted balancer, or one from an untrusted source; the socket was destroyed. */
  | 'proxy-rejected';

/** Kind of first bytes of a connection that is not TLS. */
export type NotTlsKind =
  /** An HTTP/1.x request line or the HTTP/2 cleartext preface. */
  | 'http'
  /** A PROXY protocol header, on a server that does not expect one. */
  | 'proxy-header'
  /** A TLS record other than a handshake, such as an alert. */
  | 'tls-record'
  | 'other';

const HTTP_METHOD = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|TRACE|CONNECT|PRI) /;

/** Classifies the first bytes of a connection that is not TLS. */
export function classifyNotTls(bytes: Uint8Array): NotTlsKind {
  const first = bytes[0];
  if (first !== undefined && first >= 0x14 && first <= 0x18 && bytes[1] === 0x03)
    return 'tls-record';
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 12)).toString(
    'latin1',
  );
  if (head.startsWith('PROXY ') || head === '\r\n\r\n\0\r\nQUIT\n') return 'proxy-header';
  if (HTTP_METHOD.test(head)) return 'http';
  return 'other';
}

/** Counters of one capture. All are totals since `attach`. */
export interface CaptureStats {
  /** Connections whose ClientHello was fingerprinted. */
  captured: number;
  notTls: number;
  /** Connections that were not TLS, by what their first bytes look like. */
  notTlsByKind: Partial<Record<NotTlsKind, number>>;
  sslv2: number;
  /** Malformed hellos, all codes together. */
  malformed: number;
  /** Malformed hellos by {@link ParseErrorCode}. */
  malformedByCode: Partial<Record<ParseErrorCode, number>>;
  timedOut: number;
  oversized: number;
  incomplete: number;
  /** Connections that `onClientHello` closed before the TLS handshake. */
  dropped: number;
  hookFailed: number;
  /** Connections whose PROXY header was read and accepted. */
  proxyAccepted: number;
  /** Connections closed for a missing, invalid or untrusted PROXY header. */
  proxyRejected: number;
  /** Connections whose hello is being read right now. */
  pending: number;
}

export function createStats(): CaptureStats {
  return {
    captured: 0,
    notTls: 0,
    notTlsByKind: {},
    sslv2: 0,
    malformed: 0,
    malformedByCode: {},
    timedOut: 0,
    oversized: 0,
    incomplete: 0,
    dropped: 0,
    hookFailed: 0,
    proxyAccepted: 0,
    proxyRejected: 0,
    pending: 0,
  };
}

export function countFailure(
  stats: CaptureStats,
  kind: CaptureFailureKind,
  code?: ParseErrorCode,
  notTlsKind?: NotTlsKind,
): void {
  switch (kind) {
    case 'not-tls':
      stats.notTls++;
      if (notTlsKind !== undefined) {
        stats.notTlsByKind[notTlsKind] = (stats.notTlsByKind[notTlsKind] ?? 0) + 1;
      }
      return;
    case 'sslv2':
      stats.sslv2++;
      return;
    case 'malformed':
      stats.malformed++;
      if (code !== undefined) stats.malformedByCode[code] = (stats.malformedByCode[code] ?? 0) + 1;
      return;
    case 'timeout':
      stats.timedOut++;
      return;
    case 'oversized':
      stats.oversized++;
      return;
    case 'incomplete':
      stats.incomplete++;
      return;
    case 'hook-failed':
      stats.hookFailed++;
      return;
    case 'proxy-rejected':
      stats.proxyRejected++;
      return;
  }
}

export function copyStats(stats: CaptureStats): CaptureStats {
  return {
    ...stats,
    malformedByCode: { ...stats.malformedByCode },
    notTlsByKind: { ...stats.notTlsByKind },
  };
}
