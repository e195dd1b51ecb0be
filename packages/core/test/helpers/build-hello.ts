// Builds ClientHello bytes from a structured description, so tests can state
// each field they care about and get valid framing for everything else.
// Layouts follow RFC 8446 section 4.1.2 (ClientHello), section 5.1 (records)
// and RFC 6347 sections 4.1 and 4.2 (DTLS record and handshake headers).

/** One extension: its type and raw extension_data. */
export interface ExtensionSpec {
  type: number;
  data: Uint8Array;
}

/** Fields of a ClientHello. Every field has a default, so a test sets only what it checks. */
export interface HelloSpec {
  /** legacy_version. Default 0x0303. */
  legacyVersion?: number;
  /** The 32-byte random. Default 32 bytes of 0x11. */
  random?: Uint8Array;
  /** legacy_session_id. Default empty. */
  sessionId?: Uint8Array;
  /** DTLS cookie, written only by {@link buildDtlsHandshake}. Default empty. */
  cookie?: Uint8Array;
  /** cipher_suites in wire order. Default [0x1301, 0x1302]. */
  cipherSuites?: readonly number[];
  /** legacy_compression_methods. Default [0] (null compression). */
  compressionMethods?: readonly number[];
  /**
   * Extensions in wire order, or null to end the hello after
   * compression_methods. Default: none, with an empty extensions block.
   */
  extensions?: readonly ExtensionSpec[] | null;
}

/** Concatenates byte arrays. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const joined = new Uint8Array(size);
  let filled = 0;
  for (const part of parts) {
    joined.set(part, filled);
    filled += part.length;
  }
  return joined;
}

/** Encodes a big-endian unsigned integer of `size` bytes (1 to 3). */
export function uint(value: number, size: 1 | 2 | 3): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (value >> (8 * (size - 1 - i))) & 0xff;
  return bytes;
}

/** Encodes a list of 16-bit values without a length prefix. */
export function uint16s(values: readonly number[]): Uint8Array {
  return concat(...values.map((value) => uint(value, 2)));
}

/** Prefixes `body` with its length in `prefixSize` bytes, as TLS vectors are written. */
export function vector(prefixSize: 1 | 2 | 3, body: Uint8Array): Uint8Array {
  return concat(uint(body.length, prefixSize), body);
}

/** Decodes a hex string, spaces allowed. */
export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

/** Encodes bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Encodes text as latin1, one byte per character code. */
export function latin1(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

/** Builds an extension with raw data (default empty). */
export function extension(type: number, data: Uint8Array = new Uint8Array(0)): ExtensionSpec {
  return { type, data };
}

/** Builds server_name (RFC 6066 section 3) with one host_name entry. */
export function sni(hostName: string): ExtensionSpec {
  const entry = concat(uint(0, 1), vector(2, latin1(hostName)));
  return extension(0x0000, vector(2, entry));
}

/** Builds application_layer_protocol_negotiation (RFC 7301) with the given names, encoding strings as latin1. */
export function alpn(protocols: readonly (string | Uint8Array)[]): ExtensionSpec {
  const names = protocols.map((name) => vector(1, typeof name === 'string' ? latin1(name) : name));
  return extension(0x0010, vector(2, concat(...names)));
}

/** Builds supported_versions as a client sends it: a 1-byte length and 16-bit versions. */
export function supportedVersions(versions: readonly number[]): ExtensionSpec {
  return extension(0x002b, vector(1, uint16s(versions)));
}

/** Builds signature_algorithms: a 2-byte length and 16-bit schemes. */
export function signatureAlgorithms(schemes: readonly number[]): ExtensionSpec {
  return extension(0x000d, vector(2, uint16s(schemes)));
}

/** Builds supported_groups: a 2-byte length and 16-bit groups. */
export function supportedGroups(groups: readonly number[]): ExtensionSpec {
  return extension(0x000a, vector(2, uint16s(groups)));
}

/** Builds ec_point_formats: a 1-byte length and 1-byte formats. */
export function ecPointFormats(formats: readonly number[]): ExtensionSpec {
  return extension(0x000b, vector(1, new Uint8Array(formats)));
}

function encodeExtensions(extensions: readonly ExtensionSpec[]): Uint8Array {
  const encoded = extensions.map((item) => concat(uint(item.type, 2), vector(2, item.data)));
  return vector(2, concat(...encoded));
}

/** Builds the ClientHello body: the handshake message without its header. */
export function buildBody(spec: HelloSpec = {}, dtls = false): Uint8Array {
  const parts: Uint8Array[] = [
    uint(spec.legacyVersion ?? 0x0303, 2),
    spec.random ?? new Uint8Array(32).fill(0x11),
    vector(1, spec.sessionId ?? new Uint8Array(0)),
  ];
  if (dtls) parts.push(vector(1, spec.cookie ?? new Uint8Array(0)));
  parts.push(
    vector(2, uint16s(spec.cipherSuites ?? [0x1301, 0x1302])),
    vector(1, new Uint8Array(spec.compressionMethods ?? [0])),
  );
  const extensions = spec.extensions === undefined ? [] : spec.extensions;
  if (extensions !== null) parts.push(encodeExtensions(extensions));
  return concat(...parts);
}

/** Builds a TLS ClientHello handshake message: type 1, a 24-bit length, the body. */
export function buildHandshake(spec: HelloSpec = {}): Uint8Array {
  return concat(uint(1, 1), vector(3, buildBody(spec)));
}

/** Builds a DTLS ClientHello handshake message with one unfragmented fragment. */
export function buildDtlsHandshake(spec: HelloSpec = {}, messageSeq = 0): Uint8Array {
  const body = buildBody(spec, true);
  return concat(
    uint(1, 1),
    uint(body.length, 3),
    uint(messageSeq, 2),
    uint(0, 3),
    uint(body.length, 3),
    body,
  );
}

/** Options of {@link buildRecords}. */
export interface RecordOptions {
  /** Record-layer version of every record. Default 0x0301. */
  recordVersion?: number;
  /** Content type of every record. Default 22 (handshake). */
  contentType?: number;
  /**
   * Sizes of the fragments, in order. The last size may be left out: the
   * remaining bytes form the last record. Default: one record.
   */
  fragmentSizes?: readonly number[];
}

/** Wraps one fragment in a TLS record header, with any declared length. */
export function record(
  fragment: Uint8Array,
  contentType = 22,
  recordVersion = 0x0301,
  declaredLength = fragment.length,
): Uint8Array {
  return concat(uint(contentType, 1), uint(recordVersion, 2), uint(declaredLength, 2), fragment);
}

/** Splits a handshake message into TLS records. */
export function buildRecords(message: Uint8Array, options: RecordOptions = {}): Uint8Array {
  const records: Uint8Array[] = [];
  let position = 0;
  for (const size of options.fragmentSizes ?? []) {
    records.push(
      record(
        message.subarray(position, position + size),
        options.contentType,
        options.recordVersion,
      ),
    );
    position += size;
  }
  if (position < message.length || records.length === 0) {
    records.push(record(message.subarray(position), options.contentType, options.recordVersion));
  }
  return concat(...records);
}

/** Splits a handshake message into `count` records of nearly equal size. */
export function splitIntoRecords(message: Uint8Array, count: number): Uint8Array {
  const base = Math.floor(message.length / count);
  const sizes = Array.from({ length: count - 1 }, () => base);
  return buildRecords(message, { fragmentSizes: sizes });
}

/** Builds a ClientHello in one TLS record: the usual first flight of a TCP client. */
export function buildHello(spec: HelloSpec = {}, options: RecordOptions = {}): Uint8Array {
  return buildRecords(buildHandshake(spec), options);
}

/** Wraps a DTLS handshake message in one DTLS record (epoch 0, sequence number 0). */
export function buildDtlsRecord(message: Uint8Array, recordVersion = 0xfeff): Uint8Array {
  return concat(
    uint(22, 1),
    uint(recordVersion, 2),
    uint(0, 2),
    new Uint8Array(6),
    vector(2, message),
  );
}
