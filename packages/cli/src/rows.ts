import { fingerprint, isClientHelloParseError, type Transport } from '@ja4guard/core';

/** Output row for one ClientHello that parsed. */
export interface FingerprintRow {
  readonly ja4: string;
  readonly ja4_r: string;
  readonly ja4_o: string;
  readonly ja4_ro: string;
  readonly ja3: string;
  readonly ja3_full: string;
}

/** Output row for input that did not parse. */
export interface ErrorRow {
  readonly error: {
    /** `ERR_` code: the parser's codes, plus the ones this package adds for hex and streams. */
    readonly code: string;
    /** Byte offset in the decoded input, or the column for hex errors, counted from 0. */
    readonly offset: number;
    readonly message: string;
  };
}

export type ResultRow = FingerprintRow | ErrorRow;

/**
 * Fingerprints the ClientHello in `bytes`. A parse failure becomes an error row, with its
 * offset moved by `offsetBase` so that it counts from the start of the file or stream.
 * Errors other than ClientHelloParseError are thrown, because they are bugs.
 */
export function fingerprintBytes(
  bytes: Uint8Array,
  transport: Transport,
  offsetBase = 0,
): ResultRow {
  try {
    const result = fingerprint(bytes, { transport });
    return {
      ja4: result.ja4,
      ja4_r: result.ja4_r,
      ja4_o: result.ja4_o,
      ja4_ro: result.ja4_ro,
      ja3: result.ja3,
      ja3_full: result.ja3_full,
    };
  } catch (error) {
    return parseErrorRow(error, offsetBase);
  }
}

/** Turns a ClientHelloParseError into an error row, and throws anything else again. */
export function parseErrorRow(error: unknown, offsetBase = 0): ErrorRow {
  if (!isClientHelloParseError(error)) {
    throw error;
  }
  return errorRow(error.code, offsetBase + error.offset, error.message);
}

export function errorRow(code: string, offset: number, message: string): ErrorRow {
  return { error: { code, offset, message } };
}

export function isErrorRow(row: ResultRow): row is ErrorRow {
  return 'error' in row;
}
