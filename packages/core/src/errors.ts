/**
 * Codes of {@link ClientHelloParseError}. The set is closed: a new code is a
 * breaking change, and `ERRORS.md` in this package documents each one.
 */
export const ParseErrorCode = {
  /** The first bytes are not a TLS handshake record or handshake message (for example plain HTTP). */
  NOT_TLS: 'ERR_NOT_TLS',
  /** An SSL 2.0-compatible ClientHello (first byte has the high bit set), which JA4 does not cover. */
  SSLV2_HELLO: 'ERR_SSLV2_HELLO',
  /** A ServerHello, where a ClientHello was expected. */
  SERVER_HELLO: 'ERR_SERVER_HELLO',
  /** A handshake message of another type, where a ClientHello was expected. */
  NOT_CLIENT_HELLO: 'ERR_NOT_CLIENT_HELLO',
  /** The input ends before the field is complete. */
  TRUNCATED: 'ERR_TRUNCATED',
  /** A record that follows the first one is not a handshake record, or its major version is not 3. */
  RECORD_MISMATCH: 'ERR_RECORD_MISMATCH',
  /** A record length is zero or larger than RFC 8446 section 5.1 allows. */
  RECORD_LENGTH: 'ERR_RECORD_LENGTH',
  /** The ClientHello is larger than the configured byte cap. */
  TOO_LARGE: 'ERR_TOO_LARGE',
  /** A length field does not fit the bytes that contain it, or has an impossible value. */
  INVALID_LENGTH: 'ERR_INVALID_LENGTH',
  /** The contents of a known extension are malformed. */
  INVALID_EXTENSION: 'ERR_INVALID_EXTENSION',
  /** Bytes are left after the last field of the ClientHello or after its records. */
  TRAILING_DATA: 'ERR_TRAILING_DATA',
} as const;

export type ParseErrorCode = (typeof ParseErrorCode)[keyof typeof ParseErrorCode];

const kParseErrorBrand = Symbol.for('@ja4guard/core.ClientHelloParseError');

/**
 * Error for input that is not a well-formed ClientHello. Every failure of the
 * parser is an instance of this class, never a RangeError or TypeError.
 * Match on `code`: two copies of this package may be loaded at once.
 */
export class ClientHelloParseError extends Error {
  override readonly name = 'ClientHelloParseError';
  /** Stable code from {@link ParseErrorCode}. */
  readonly code: ParseErrorCode;
  /** Byte offset in the input where the failing field starts. */
  readonly offset: number;
  /** Name of the field being read, in RFC 8446 terms (for example `cipher_suites`). */
  readonly field: string;

  constructor(code: ParseErrorCode, offset: number, field: string, message: string) {
    super(message);
    this.code = code;
    this.offset = offset;
    this.field = field;
  }

  get [kParseErrorBrand](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isClientHelloParseError(value);
  }
}

/** Tells whether `value` is a {@link ClientHelloParseError} from any copy of this package. */
export function isClientHelloParseError(value: unknown): value is ClientHelloParseError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[kParseErrorBrand] === true
  );
}
