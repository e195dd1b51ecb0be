import type { ParseErrorCode } from '../errors.js';

/** Why a connection ended up without a fingerprint, or was closed. */
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
  /** The `onClientHello` hook threw, rejected or did not answer in time; the connection was accepted. */
  | 'hook-failed';

/** Counters of one capture. All are totals since `attach`. */
export interface CaptureStats {
  /** Connections whose ClientHello was fingerprinted. */
  captured: number;
  notTls: number;
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
  /** Connections whose hello is being read right now. */
  pending: number;
}

export function createStats(): CaptureStats {
  return {
    captured: 0,
    notTls: 0,
    sslv2: 0,
    malformed: 0,
    malformedByCode: {},
    timedOut: 0,
    oversized: 0,
    incomplete: 0,
    dropped: 0,
    hookFailed: 0,
    pending: 0,
  };
}

export function countFailure(
  stats: CaptureStats,
  kind: CaptureFailureKind,
  code?: ParseErrorCode,
): void {
  switch (kind) {
    case 'not-tls':
      stats.notTls++;
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
  }
}

export function copyStats(stats: CaptureStats): CaptureStats {
  return { ...stats, malformedByCode: { ...stats.malformedByCode } };
}
