import { ClientHelloParseError, ParseErrorCode } from '../errors.js';

/**
 * Bounds-checked big-endian reader over one region of a buffer. Every read
 * checks the remaining length first, so malformed input raises
 * {@link ClientHelloParseError} and never a RangeError.
 */
export class ByteReader {
  pos: number;
  end: number;
  readonly bytes: Uint8Array;
  readonly #inputOffset: (position: number) => number;

  constructor(
    bytes: Uint8Array,
    start: number,
    end: number,
    inputOffset: (position: number) => number,
  ) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.#inputOffset = inputOffset;
  }

  /** Maps a position in `bytes` to an offset in the caller's input, for error reports. */
  inputOffset(position: number): number {
    return this.#inputOffset(position);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(field: string): number {
    this.#need(1, field);
    return this.bytes[this.pos++]!;
  }

  u16(field: string): number {
    this.#need(2, field);
    const bytes = this.bytes;
    const value = (bytes[this.pos]! << 8) | bytes[this.pos + 1]!;
    this.pos += 2;
    return value;
  }

  u24(field: string): number {
    this.#need(3, field);
    const bytes = this.bytes;
    const value = (bytes[this.pos]! << 16) | (bytes[this.pos + 1]! << 8) | bytes[this.pos + 2]!;
    this.pos += 3;
    return value;
  }

  /** Skips `length` bytes and returns the position where they start. */
  skip(length: number, field: string): number {
    this.#need(length, field);
    const start = this.pos;
    this.pos += length;
    return start;
  }

  /**
   * Reads a length prefix of `prefixSize` bytes and checks that the vector it
   * announces fits in the region. Returns the end position of the vector.
   */
  vector(prefixSize: 1 | 2, field: string): number {
    const lengthAt = this.pos;
    const length = prefixSize === 1 ? this.u8(field) : this.u16(field);
    if (length > this.end - this.pos) {
      throw this.fail(
        ParseErrorCode.INVALID_LENGTH,
        lengthAt,
        field,
        `${field} length ${length} exceeds the ${this.end - this.pos} bytes left in the enclosing structure`,
      );
    }
    return this.pos + length;
  }

  fail(
    code: ParseErrorCode,
    position: number,
    field: string,
    detail: string,
  ): ClientHelloParseError {
    const offset = this.#inputOffset(position);
    return new ClientHelloParseError(
      code,
      offset,
      field,
      `Invalid ClientHello: ${detail} (field ${field}, byte offset ${offset}).`,
    );
  }

  #need(count: number, field: string): void {
    if (this.end - this.pos < count) {
      throw this.fail(
        ParseErrorCode.INVALID_LENGTH,
        this.pos,
        field,
        `${field} needs ${count} bytes but ${this.end - this.pos} are left in the enclosing structure`,
      );
    }
  }
}
