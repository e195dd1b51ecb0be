import { DEFAULT_MAX_HELLO_BYTES, locateClientHello } from './records.js';

/**
 * Returns how many bytes at the start of `input` hold one complete
 * ClientHello (its TLS records, headers included), or 0 when more bytes are
 * needed. Reads only record and handshake headers, so a caller buffering a
 * socket can call it after every chunk.
 *
 * @throws {ClientHelloParseError} when the bytes cannot start a ClientHello
 * (for example `ERR_NOT_TLS`) or it would exceed `maxHelloBytes` (`ERR_TOO_LARGE`).
 */
export function measureClientHello(
  input: Uint8Array,
  maxHelloBytes: number = DEFAULT_MAX_HELLO_BYTES,
): number {
  return locateClientHello(input, maxHelloBytes, false)?.inputLength ?? 0;
}
