import { ClientHelloParseError, ParseErrorCode } from '../errors.js';
import { ExtensionType } from '../tls.js';
import { readAlpnProtocols, readServerName, readUint8List, readUint16List } from './extensions.js';
import { ByteReader } from './reader.js';
import { DEFAULT_MAX_HELLO_BYTES, type HandshakeLocation, locateClientHello } from './records.js';

/** Transport of the ClientHello, which sets the first JA4 character. */
export type Transport = 'tcp' | 'quic' | 'dtls';

/** Options of {@link parseClientHello}. */
export interface ParseOptions {
  /** Transport the hello came over. `dtls` also selects DTLS framing for a bare message. Default `tcp`. */
  transport?: Transport;
  /** Cap on the bytes of the hello, record headers included. Default 65,536. */
  maxHelloBytes?: number;
  /** Accept bytes after the records that carry the hello, instead of raising ERR_TRAILING_DATA. Default false. */
  allowTrailingData?: boolean;
}

/** One extension, in wire order, with its data left in the input buffer. */
export class ClientHelloExtension {
  readonly type: number;
  readonly #bytes: Uint8Array;
  readonly #start: number;
  readonly #end: number;

  constructor(type: number, bytes: Uint8Array, start: number, end: number) {
    this.type = type;
    this.#bytes = bytes;
    this.#start = start;
    this.#end = end;
  }

  /** Length of extension_data in bytes. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** extension_data, as a view into the parsed buffer (not a copy). */
  get data(): Uint8Array {
    return this.#bytes.subarray(this.#start, this.#end);
  }
}

/** A parsed ClientHello (RFC 8446 section 4.1.2, RFC 5246 section 7.4.1.2). Lists keep wire order and GREASE values. */
export interface ClientHello {
  /** legacy_version, for example 0x0303. */
  readonly legacyVersion: number;
  /** The 32-byte random, as a view into the input. */
  readonly random: Uint8Array;
  /** legacy_session_id, 0 to 32 bytes. */
  readonly sessionId: Uint8Array;
  /** DTLS cookie (RFC 6347 section 4.2.1), or null over TLS. */
  readonly cookie: Uint8Array | null;
  readonly cipherSuites: readonly number[];
  readonly compressionMethods: readonly number[];
  /** False when the hello ends after compression_methods, as old clients send it. */
  readonly hasExtensionsBlock: boolean;
  readonly extensions: readonly ClientHelloExtension[];
  /** Extension types in wire order, GREASE included: the types of `extensions`. */
  readonly extensionTypes: readonly number[];
  /** Whether a server_name extension is present, even an empty one. */
  readonly hasServerName: boolean;
  /** First host_name of server_name (SNI), or null. */
  readonly serverName: string | null;
  /** ALPN protocol names; empty when the extension is missing or empty. */
  readonly alpnProtocols: readonly string[];
  /** supported_versions, or null when the extension is missing. */
  readonly supportedVersions: readonly number[] | null;
  /** signature_algorithms, or null when the extension is missing. */
  readonly signatureAlgorithms: readonly number[] | null;
  /** supported_groups, or null when the extension is missing. */
  readonly supportedGroups: readonly number[] | null;
  /** ec_point_formats, or null when the extension is missing. */
  readonly ecPointFormats: readonly number[] | null;
  /** Record-layer version of the first record, or null for a bare handshake message. */
  readonly recordVersion: number | null;
  /** Number of records that carried the hello (0 for a bare message). */
  readonly recordCount: number;
  /** Input bytes the hello took, record headers included. */
  readonly byteLength: number;
  /** Whether the hello used DTLS framing. */
  readonly dtls: boolean;
}

/**
 * Parses one ClientHello from TLS records (first byte 0x16, one or several
 * records) or from a bare handshake message (first byte 0x01), in one
 * synchronous pass in wire order.
 *
 * @throws {ClientHelloParseError} for any input that is not a well-formed ClientHello.
 */
export function parseClientHello(input: Uint8Array, options?: ParseOptions): ClientHello {
  const maxBytes = options?.maxHelloBytes ?? DEFAULT_MAX_HELLO_BYTES;
  const location = locateClientHello(input, maxBytes, options?.transport === 'dtls');
  if (location === null) {
    throw new ClientHelloParseError(
      ParseErrorCode.TRUNCATED,
      input.length,
      'handshake',
      `Invalid ClientHello: the input ends after ${input.length} bytes, before the ClientHello is complete (field handshake, byte offset ${input.length}).`,
    );
  }
  if (location.inputLength < input.length && options?.allowTrailingData !== true) {
    throw new ClientHelloParseError(
      ParseErrorCode.TRAILING_DATA,
      location.inputLength,
      'record',
      `Invalid ClientHello: ${input.length - location.inputLength} bytes follow the ClientHello (field record, byte offset ${location.inputLength}); pass allowTrailingData to ignore them.`,
    );
  }
  return readBody(location);
}

/**
 * Parses the ClientHello at the start of `input` once its records are
 * complete, or returns null while more bytes are needed. Bytes after the
 * hello are left alone. Capture calls this after every chunk, so the records
 * are located once, not once to measure and again to parse.
 *
 * @throws {ClientHelloParseError} when the bytes cannot be a ClientHello.
 */
export function readAvailableClientHello(input: Uint8Array, maxBytes: number): ClientHello | null {
  const location = locateClientHello(input, maxBytes, false);
  return location === null ? null : readBody(location);
}

function readBody(location: HandshakeLocation): ClientHello {
  const reader = new ByteReader(
    location.bytes,
    location.bodyStart,
    location.bodyEnd,
    location.inputOffset,
  );
  const bytes = location.bytes;

  const legacyVersion = reader.u16('legacy_version');
  const randomStart = reader.skip(32, 'random');

  const sessionIdAt = reader.pos;
  const sessionIdEnd = reader.vector(1, 'legacy_session_id');
  if (sessionIdEnd - reader.pos > 32) {
    throw reader.fail(
      ParseErrorCode.INVALID_LENGTH,
      sessionIdAt,
      'legacy_session_id',
      `legacy_session_id length ${sessionIdEnd - reader.pos} exceeds 32`,
    );
  }
  const sessionIdStart = reader.pos;
  reader.pos = sessionIdEnd;

  let cookie: Uint8Array | null = null;
  if (location.dtls) {
    const cookieEnd = reader.vector(1, 'cookie');
    cookie = bytes.subarray(reader.pos, cookieEnd);
    reader.pos = cookieEnd;
  }

  const cipherAt = reader.pos;
  const cipherEnd = reader.vector(2, 'cipher_suites');
  if ((cipherEnd - reader.pos) % 2 !== 0) {
    throw reader.fail(
      ParseErrorCode.INVALID_LENGTH,
      cipherAt,
      'cipher_suites',
      `cipher_suites length ${cipherEnd - reader.pos} is odd; each suite takes 2 bytes`,
    );
  }
  const cipherSuites: number[] = [];
  while (reader.pos < cipherEnd) cipherSuites.push(reader.u16('cipher_suites'));

  const compressionEnd = reader.vector(1, 'legacy_compression_methods');
  const compressionMethods: number[] = [];
  while (reader.pos < compressionEnd)
    compressionMethods.push(reader.u8('legacy_compression_methods'));

  const hello = new ParsedClientHello(
    bytes,
    randomStart,
    sessionIdStart,
    sessionIdEnd,
    location,
    legacyVersion,
    cookie,
    cipherSuites,
    compressionMethods,
    reader.pos < reader.end,
  );
  if (hello.hasExtensionsBlock) readExtensions(reader, hello);
  return hello;
}

type MutableClientHello = {
  -readonly [K in Exclude<keyof ClientHello, 'extensions'>]: ClientHello[K];
} & { readonly extensions: readonly ClientHelloExtension[] };

/**
 * The parser's ClientHello. `random`, `sessionId` and the `extensions`
 * objects are made on first access: the fingerprints read none of them, and
 * each costs allocations on the hot path.
 */
class ParsedClientHello implements MutableClientHello {
  readonly #bytes: Uint8Array;
  readonly #randomStart: number;
  readonly #sessionIdStart: number;
  readonly #sessionIdEnd: number;
  /** Start and end of each extension's data, as flat pairs in wire order. */
  readonly extensionBounds: number[] = [];
  #extensions: ClientHelloExtension[] | undefined;
  extensionTypes: number[] = [];
  legacyVersion: number;
  cookie: Uint8Array | null;
  cipherSuites: readonly number[];
  compressionMethods: readonly number[];
  hasExtensionsBlock: boolean;
  hasServerName = false;
  serverName: string | null = null;
  alpnProtocols: readonly string[] = [];
  supportedVersions: readonly number[] | null = null;
  signatureAlgorithms: readonly number[] | null = null;
  supportedGroups: readonly number[] | null = null;
  ecPointFormats: readonly number[] | null = null;
  recordVersion: number | null;
  recordCount: number;
  byteLength: number;
  dtls: boolean;

  constructor(
    bytes: Uint8Array,
    randomStart: number,
    sessionIdStart: number,
    sessionIdEnd: number,
    location: HandshakeLocation,
    legacyVersion: number,
    cookie: Uint8Array | null,
    cipherSuites: readonly number[],
    compressionMethods: readonly number[],
    hasExtensionsBlock: boolean,
  ) {
    this.#bytes = bytes;
    this.#randomStart = randomStart;
    this.#sessionIdStart = sessionIdStart;
    this.#sessionIdEnd = sessionIdEnd;
    this.legacyVersion = legacyVersion;
    this.cookie = cookie;
    this.cipherSuites = cipherSuites;
    this.compressionMethods = compressionMethods;
    this.hasExtensionsBlock = hasExtensionsBlock;
    this.recordVersion = location.recordVersion;
    this.recordCount = location.recordCount;
    this.byteLength = location.inputLength;
    this.dtls = location.dtls;
  }

  get random(): Uint8Array {
    return this.#bytes.subarray(this.#randomStart, this.#randomStart + 32);
  }

  get sessionId(): Uint8Array {
    return this.#bytes.subarray(this.#sessionIdStart, this.#sessionIdEnd);
  }

  get extensions(): readonly ClientHelloExtension[] {
    if (this.#extensions === undefined) {
      const bounds = this.extensionBounds;
      this.#extensions = this.extensionTypes.map(
        (type, index) =>
          new ClientHelloExtension(type, this.#bytes, bounds[index * 2]!, bounds[index * 2 + 1]!),
      );
    }
    return this.#extensions;
  }
}

function readExtensions(reader: ByteReader, hello: ParsedClientHello): void {
  const blockAt = reader.pos;
  const blockEnd = reader.vector(2, 'extensions');
  if (blockEnd < reader.end) {
    throw reader.fail(
      ParseErrorCode.TRAILING_DATA,
      blockEnd,
      'extensions',
      `${reader.end - blockEnd} bytes follow the extensions block declared at offset ${reader.inputOffset(blockAt)}`,
    );
  }

  let alpnSeen = false;
  while (reader.pos < blockEnd) {
    const type = reader.u16('extension_type');
    const dataEnd = reader.vector(2, 'extension_data');
    const dataStart = reader.pos;
    hello.extensionTypes.push(type);
    hello.extensionBounds.push(dataStart, dataEnd);
    if (type === ExtensionType.ALPN) {
      if (!alpnSeen) hello.alpnProtocols = readAlpnProtocols(reader, dataEnd);
      alpnSeen = true;
    } else {
      readKnownExtension(reader, hello, type, dataEnd);
    }
    reader.pos = dataEnd;
  }
}

/**
 * Decodes the extensions that fingerprints and rules use, except ALPN, which
 * the caller decodes. Only the first
 * occurrence of a type is decoded: a repeated type is invalid (RFC 8446
 * section 4.2), but it stays in `extensions` because JA4 counts it.
 */
function readKnownExtension(
  reader: ByteReader,
  hello: ParsedClientHello,
  type: number,
  dataEnd: number,
): void {
  switch (type) {
    case ExtensionType.SERVER_NAME:
      if (!hello.hasServerName) {
        hello.hasServerName = true;
        hello.serverName = readServerName(reader, dataEnd);
      }
      return;
    case ExtensionType.SUPPORTED_VERSIONS:
      hello.supportedVersions ??= readUint16List(reader, dataEnd, 1, 'supported_versions');
      return;
    case ExtensionType.SIGNATURE_ALGORITHMS:
      hello.signatureAlgorithms ??= readUint16List(reader, dataEnd, 2, 'signature_algorithms');
      return;
    case ExtensionType.SUPPORTED_GROUPS:
      hello.supportedGroups ??= readUint16List(reader, dataEnd, 2, 'supported_groups');
      return;
    case ExtensionType.EC_POINT_FORMATS:
      hello.ecPointFormats ??= readUint8List(reader, dataEnd, 'ec_point_formats');
      return;
  }
}
