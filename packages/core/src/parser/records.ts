import { ClientHelloParseError, ParseErrorCode } from '../errors.js';
import {
  CONTENT_TYPE_HANDSHAKE,
  DTLS_HANDSHAKE_HEADER_SIZE,
  DTLS_RECORD_HEADER_SIZE,
  HANDSHAKE_HEADER_SIZE,
  HandshakeType,
  MAX_RECORD_FRAGMENT,
  TLS_RECORD_HEADER_SIZE,
} from '../tls.js';

/** Default cap on the bytes of one ClientHello, record headers included: 64 KiB. */
export const DEFAULT_MAX_HELLO_BYTES = 65_536;

/** Location of one complete handshake message, after the record layer is removed. */
export interface HandshakeLocation {
  /** Buffer holding the whole message: the input itself, or a copy joined from several records. */
  readonly bytes: Uint8Array;
  /** Position of the first byte after the handshake header. */
  readonly bodyStart: number;
  /** Position after the last byte of the message. */
  readonly bodyEnd: number;
  /** Input bytes that the message and its record headers take. */
  readonly inputLength: number;
  /** Record-layer version of the first record, or null for a bare handshake message. */
  readonly recordVersion: number | null;
  /** Number of TLS records that carried the message (0 for a bare message). */
  readonly recordCount: number;
  /** Whether the message uses DTLS framing. */
  readonly dtls: boolean;
  /** Maps a position in `bytes` to an offset in the input. */
  readonly inputOffset: (position: number) => number;
}

const identity = (position: number): number => position;

function parseError(code: ParseErrorCode, offset: number, field: string, detail: string) {
  return new ClientHelloParseError(
    code,
    offset,
    field,
    `Invalid ClientHello: ${detail} (field ${field}, byte offset ${offset}).`,
  );
}

/**
 * Classifies a first byte that cannot start a TLS handshake record or message.
 * An SSL 2.0 CLIENT-HELLO starts with a 2-byte length whose high bit is set,
 * followed by message type 1 (RFC 6101 appendix E.2).
 */
function rejectFirstByte(input: Uint8Array): ClientHelloParseError {
  const first = input[0]!;
  if ((first & 0x80) !== 0 && (input.length < 3 || input[2] === 0x01)) {
    return parseError(
      ParseErrorCode.SSLV2_HELLO,
      0,
      'record header',
      'an SSL 2.0-compatible ClientHello is not supported by JA4',
    );
  }
  return parseError(
    ParseErrorCode.NOT_TLS,
    0,
    'record header',
    `first byte 0x${first.toString(16).padStart(2, '0')} starts neither a TLS handshake record (0x16) nor a ClientHello (0x01)`,
  );
}

function checkHandshakeType(type: number, offset: number): void {
  if (type === HandshakeType.CLIENT_HELLO) return;
  if (type === HandshakeType.SERVER_HELLO) {
    throw parseError(
      ParseErrorCode.SERVER_HELLO,
      offset,
      'msg_type',
      'a ServerHello was found where a ClientHello was expected; pass the bytes sent by the client',
    );
  }
  throw parseError(
    ParseErrorCode.NOT_CLIENT_HELLO,
    offset,
    'msg_type',
    `handshake message type ${type} is not a ClientHello (1)`,
  );
}

function tooLarge(
  offset: number,
  field: string,
  size: number,
  maxBytes: number,
): ClientHelloParseError {
  return parseError(
    ParseErrorCode.TOO_LARGE,
    offset,
    field,
    `the ClientHello needs ${size} bytes, more than the cap of ${maxBytes}; raise maxHelloBytes if such hellos are expected`,
  );
}

/**
 * Finds one complete ClientHello in `input`, which contains TLS records (first
 * byte 0x16) or a bare handshake message (first byte 0x01). Returns null when
 * the input ends before the message is complete, so a caller reading from a
 * socket can wait for more bytes. Throws {@link ClientHelloParseError} when
 * the bytes cannot be a ClientHello.
 */
export function locateClientHello(
  input: Uint8Array,
  maxBytes: number,
  dtls: boolean,
): HandshakeLocation | null {
  if (input.length === 0) return null;
  const first = input[0]!;
  if (first === CONTENT_TYPE_HANDSHAKE) {
    if (input.length >= 2 && input[1] === 0xfe) return locateInDtlsRecord(input, maxBytes);
    return locateInTlsRecords(input, maxBytes);
  }
  if (first === HandshakeType.CLIENT_HELLO || first === HandshakeType.SERVER_HELLO) {
    return dtls ? locateBareDtlsMessage(input, maxBytes) : locateBareMessage(input, maxBytes);
  }
  throw rejectFirstByte(input);
}

function locateBareMessage(input: Uint8Array, maxBytes: number): HandshakeLocation | null {
  checkHandshakeType(input[0]!, 0);
  if (input.length < HANDSHAKE_HEADER_SIZE) return null;
  const length = (input[1]! << 16) | (input[2]! << 8) | input[3]!;
  const total = HANDSHAKE_HEADER_SIZE + length;
  if (total > maxBytes) throw tooLarge(1, 'handshake length', total, maxBytes);
  if (input.length < total) return null;
  return {
    bytes: input,
    bodyStart: HANDSHAKE_HEADER_SIZE,
    bodyEnd: total,
    inputLength: total,
    recordVersion: null,
    recordCount: 0,
    dtls: false,
    inputOffset: identity,
  };
}

/**
 * Walks TLS records until they carry one whole handshake message. A hello may
 * span several records, and a record may be split across TCP segments. The
 * common case, one record, is returned without copying.
 */
function locateInTlsRecords(input: Uint8Array, maxBytes: number): HandshakeLocation | null {
  // Start and end of each record fragment, as flat pairs: [start0, end0, start1, end1, ...].
  const fragments: number[] = [];
  let position = 0;
  let gathered = 0;
  let messageSize = -1;
  let recordVersion = 0;

  while (messageSize < 0 || gathered < messageSize) {
    if (position >= maxBytes) throw tooLarge(position, 'record header', position + 1, maxBytes);
    if (input.length - position < TLS_RECORD_HEADER_SIZE) {
      checkRecordPrefix(input, position);
      return null;
    }
    checkRecordPrefix(input, position);
    const version = (input[position + 1]! << 8) | input[position + 2]!;
    if (position === 0) recordVersion = version;
    const length = (input[position + 3]! << 8) | input[position + 4]!;
    if (length === 0 || length > MAX_RECORD_FRAGMENT) {
      throw parseError(
        ParseErrorCode.RECORD_LENGTH,
        position + 3,
        'record length',
        `record length ${length} is outside 1..${MAX_RECORD_FRAGMENT}`,
      );
    }
    const fragmentStart = position + TLS_RECORD_HEADER_SIZE;
    const fragmentEnd = fragmentStart + length;
    if (fragmentEnd > maxBytes) {
      throw tooLarge(position + 3, 'record length', fragmentEnd, maxBytes);
    }
    if (fragmentEnd > input.length) return null;

    if (gathered === 0) checkHandshakeType(input[fragmentStart]!, fragmentStart);
    fragments.push(fragmentStart, fragmentEnd);
    gathered += length;
    position = fragmentEnd;

    if (messageSize < 0 && gathered >= HANDSHAKE_HEADER_SIZE) {
      const header = readAcross(input, fragments, 1, 3);
      messageSize = HANDSHAKE_HEADER_SIZE + header;
      if (messageSize > maxBytes) {
        throw tooLarge(mapAcross(fragments, 1), 'handshake length', messageSize, maxBytes);
      }
    }
  }

  if (gathered > messageSize) {
    const offset = mapAcross(fragments, messageSize);
    throw parseError(
      ParseErrorCode.TRAILING_DATA,
      offset,
      'handshake',
      `the last record carries ${gathered - messageSize} bytes after the ClientHello`,
    );
  }

  if (fragments.length === 2) {
    const start = fragments[0]!;
    return {
      bytes: input,
      bodyStart: start + HANDSHAKE_HEADER_SIZE,
      bodyEnd: start + messageSize,
      inputLength: position,
      recordVersion,
      recordCount: 1,
      dtls: false,
      inputOffset: identity,
    };
  }

  const joined = new Uint8Array(messageSize);
  let filled = 0;
  for (let i = 0; i < fragments.length; i += 2) {
    const start = fragments[i]!;
    const end = fragments[i + 1]!;
    joined.set(input.subarray(start, end), filled);
    filled += end - start;
  }
  return {
    bytes: joined,
    bodyStart: HANDSHAKE_HEADER_SIZE,
    bodyEnd: messageSize,
    inputLength: position,
    recordVersion,
    recordCount: fragments.length / 2,
    dtls: false,
    inputOffset: (offset) => mapAcross(fragments, offset),
  };
}

/** Checks the content type and major version of the record header at `position`, as far as they are present. */
function checkRecordPrefix(input: Uint8Array, position: number): void {
  if (position >= input.length) return;
  if (input[position] !== CONTENT_TYPE_HANDSHAKE) {
    throw parseError(
      ParseErrorCode.RECORD_MISMATCH,
      position,
      'record content_type',
      `record content type ${input[position]} follows a partial ClientHello; expected a handshake record (22)`,
    );
  }
  if (position + 1 < input.length && input[position + 1] !== 0x03) {
    throw parseError(
      position === 0 ? ParseErrorCode.NOT_TLS : ParseErrorCode.RECORD_MISMATCH,
      position + 1,
      'record version',
      `record version major byte ${input[position + 1]} is not 3 (TLS)`,
    );
  }
}

/** Reads `count` bytes (at most 3) as a big-endian number, starting at message position `at`, across fragments. */
function readAcross(input: Uint8Array, fragments: number[], at: number, count: number): number {
  let value = 0;
  for (let k = 0; k < count; k++) value = (value << 8) | input[mapAcross(fragments, at + k)]!;
  return value;
}

/** Maps a position in the joined message to an offset in the input. */
function mapAcross(fragments: number[], position: number): number {
  let before = 0;
  for (let i = 0; i < fragments.length; i += 2) {
    const size = fragments[i + 1]! - fragments[i]!;
    if (position < before + size) return fragments[i]! + (position - before);
    before += size;
  }
  const lastEnd = fragments[fragments.length - 1] ?? 0;
  return lastEnd + (position - before);
}

/**
 * Locates a DTLS ClientHello: one record (RFC 6347 section 4.1) holding one
 * unfragmented handshake message (section 4.2.2).
 */
function locateInDtlsRecord(input: Uint8Array, maxBytes: number): HandshakeLocation | null {
  if (input.length < DTLS_RECORD_HEADER_SIZE) return null;
  const recordVersion = (input[1]! << 8) | input[2]!;
  const length = (input[11]! << 8) | input[12]!;
  if (length === 0 || length > MAX_RECORD_FRAGMENT) {
    throw parseError(
      ParseErrorCode.RECORD_LENGTH,
      11,
      'record length',
      `record length ${length} is outside 1..${MAX_RECORD_FRAGMENT}`,
    );
  }
  const end = DTLS_RECORD_HEADER_SIZE + length;
  if (end > maxBytes) throw tooLarge(11, 'record length', end, maxBytes);
  if (input.length < end) return null;
  const message = locateBareDtlsMessage(
    input.subarray(DTLS_RECORD_HEADER_SIZE, end),
    maxBytes,
    DTLS_RECORD_HEADER_SIZE,
  );
  if (message === null) {
    throw parseError(
      ParseErrorCode.INVALID_LENGTH,
      DTLS_RECORD_HEADER_SIZE,
      'handshake length',
      'the DTLS record ends before its handshake message',
    );
  }
  if (message.bodyEnd !== length) {
    throw parseError(
      ParseErrorCode.TRAILING_DATA,
      DTLS_RECORD_HEADER_SIZE + message.bodyEnd,
      'handshake',
      `the DTLS record carries ${length - message.bodyEnd} bytes after the ClientHello`,
    );
  }
  return {
    bytes: input,
    bodyStart: DTLS_RECORD_HEADER_SIZE + message.bodyStart,
    bodyEnd: end,
    inputLength: end,
    recordVersion,
    recordCount: 1,
    dtls: true,
    inputOffset: identity,
  };
}

/**
 * Locates an unfragmented DTLS handshake message at the start of `input`.
 * `offsetBase` is the input offset of `input[0]` (13 inside a DTLS record),
 * added to every error offset.
 */
function locateBareDtlsMessage(
  input: Uint8Array,
  maxBytes: number,
  offsetBase = 0,
): HandshakeLocation | null {
  checkHandshakeType(input[0]!, offsetBase);
  if (input.length < DTLS_HANDSHAKE_HEADER_SIZE) return null;
  const length = (input[1]! << 16) | (input[2]! << 8) | input[3]!;
  const fragmentOffset = (input[6]! << 16) | (input[7]! << 8) | input[8]!;
  const fragmentLength = (input[9]! << 16) | (input[10]! << 8) | input[11]!;
  // NOTE: a DTLS ClientHello fragmented over several handshake fragments is rejected, not reassembled.
  if (fragmentOffset !== 0 || fragmentLength !== length) {
    throw parseError(
      ParseErrorCode.INVALID_LENGTH,
      offsetBase + 6,
      'fragment_offset',
      `DTLS handshake fragment ${fragmentOffset}+${fragmentLength} of ${length} bytes; only unfragmented ClientHellos are supported`,
    );
  }
  const total = DTLS_HANDSHAKE_HEADER_SIZE + length;
  if (total > maxBytes) throw tooLarge(offsetBase + 1, 'handshake length', total, maxBytes);
  if (input.length < total) return null;
  return {
    bytes: input,
    bodyStart: DTLS_HANDSHAKE_HEADER_SIZE,
    bodyEnd: total,
    inputLength: total,
    recordVersion: null,
    recordCount: 0,
    dtls: true,
    inputOffset: identity,
  };
}
