/**
 * Reader for classic pcap and pcapng captures. It turns the file's records or blocks into
 * link-layer packets and leaves their contents to `packets.ts`.
 *
 * Classic pcap (draft-ietf-opsawg-pcap) is read in both byte orders, with microsecond or
 * nanosecond timestamps. pcapng (draft-ietf-opsawg-pcapng) is read with its Section
 * Header, Interface Description, Enhanced Packet, Simple Packet and obsolete Packet
 * blocks, and other pcapng blocks are skipped.
 */

/** Link-layer packet taken from a capture. */
export interface CapturedPacket {
  /** LINKTYPE_ value of the interface that captured the packet (1 is Ethernet). */
  readonly linkType: number;
  /** Captured bytes, starting with the link-layer header. */
  readonly data: Uint8Array;
  /** Byte offset in the file of the record or block that contains the packet. */
  readonly offset: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

export type CaptureErrorCode = 'unknown_format' | 'truncated' | 'corrupt';

/** Error for a capture that cannot be read further. */
export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
  readonly code: CaptureErrorCode;
  /** Byte offset in the file of the record, block or field that failed. */
  readonly offset: number;

  constructor(code: CaptureErrorCode, offset: number, message: string) {
    super(message);
    this.code = code;
    this.offset = offset;
  }
}

/**
 * Maximum length of one pcap record or pcapng block: 64 times the 262,144-byte maximum
 * snapshot length of tcpdump (MAXIMUM_SNAPLEN in its netdissect.h). A larger length is
 * taken as corruption, so that a damaged length field cannot make the reader buffer the
 * whole file.
 */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

const PCAP_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;
const PCAPNG_BLOCK_HEADER_BYTES = 12;

const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
const PCAPNG_SECTION_HEADER = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const BLOCK_INTERFACE_DESCRIPTION = 0x00000001;
const BLOCK_PACKET_OBSOLETE = 0x00000002;
const BLOCK_SIMPLE_PACKET = 0x00000003;
const BLOCK_ENHANCED_PACKET = 0x00000006;

/** Returns the capture format that a file starting with `prefix` has, if any. */
export function detectCaptureFormat(prefix: Uint8Array): CaptureFormat | undefined {
  if (prefix.length < 4) {
    return undefined;
  }
  const big = readUint32(prefix, 0, false);
  const little = readUint32(prefix, 0, true);
  if (big === PCAPNG_SECTION_HEADER) {
    return 'pcapng';
  }
  for (const magic of [PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS]) {
    if (big === magic || little === magic) {
      return 'pcap';
    }
  }
  return undefined;
}

/**
 * Incremental capture reader: `push` takes the file in chunks of any size and returns the
 * packets that became complete, and `end` checks that the file did not stop inside a
 * record. Errors are `CaptureFormatError`s whose message starts with the file name.
 */
export class CaptureReader {
  readonly #fileName: string;
  readonly #queue = new ByteQueue();
  #format: CaptureFormat | undefined;
  #littleEndian = false;
  /** Link type of a classic pcap file. */
  #pcapLinkType = 0;
  /** Interfaces of the current pcapng section, by interface id. */
  #interfaces: Array<{ linkType: number; snapLength: number }> = [];

  constructor(fileName: string) {
    this.#fileName = fileName;
  }

  get format(): CaptureFormat | undefined {
    return this.#format;
  }

  /** Appends `chunk` to the bytes read so far and returns the packets now complete. */
  push(chunk: Uint8Array): CapturedPacket[] {
    this.#queue.push(chunk);
    const packets: CapturedPacket[] = [];
    while (this.#readNext(packets)) {
      // Each call consumes one header, record or block.
    }
    return packets;
  }

  /** Checks that the file ended on a record or block boundary. */
  end(): void {
    const start = this.#queue.offset;
    const left = this.#queue.length;
    if (this.#format === undefined) {
      const problem = left === 0 ? 'the file is empty' : `the file has only ${left} bytes`;
      throw this.#error('unknown_format', 0, `${problem}, which is too short for a capture`);
    }
    if (left > 0) {
      const unit = this.#format === 'pcap' ? 'packet record' : 'block';
      const message = `the file ends inside a ${unit}: ${left} bytes remain after the last complete one`;
      throw this.#error('truncated', start, message);
    }
  }

  /** Reads one header, record or block if all of its bytes are buffered. */
  #readNext(packets: CapturedPacket[]): boolean {
    if (this.#format === undefined) {
      return this.#readFileStart();
    }
    if (this.#format === 'pcap') {
      return this.#readPcapRecord(packets);
    }
    return this.#readPcapngBlock(packets);
  }

  #readFileStart(): boolean {
    if (this.#queue.length < 4) {
      return false;
    }
    const format = detectCaptureFormat(this.#queue.peek(4));
    if (format === undefined) {
      const magic = hex32(readUint32(this.#queue.peek(4), 0, false));
      const message = `not a pcap or pcapng capture: the file starts with ${magic}`;
      throw this.#error('unknown_format', 0, message);
    }
    if (format === 'pcapng') {
      this.#format = format;
      return true;
    }

    if (this.#queue.length < PCAP_HEADER_BYTES) {
      return false;
    }
    const header = this.#queue.peek(PCAP_HEADER_BYTES);
    const big = readUint32(header, 0, false);
    this.#littleEndian = big !== PCAP_MAGIC_MICROSECONDS && big !== PCAP_MAGIC_NANOSECONDS;
    // The low 16 bits are the link type, and the high bits may carry the FCS length.
    this.#pcapLinkType = readUint32(header, 20, this.#littleEndian) & 0xffff;
    this.#format = format;
    this.#queue.skip(PCAP_HEADER_BYTES);
    return true;
  }

  #readPcapRecord(packets: CapturedPacket[]): boolean {
    if (this.#queue.length < PCAP_RECORD_HEADER_BYTES) {
      return false;
    }
    const offset = this.#queue.offset;
    const header = this.#queue.peek(PCAP_RECORD_HEADER_BYTES);
    const capturedLength = readUint32(header, 8, this.#littleEndian);
    if (capturedLength > MAX_BLOCK_BYTES) {
      const message = `packet record has an invalid captured length of ${capturedLength} bytes, above the maximum of ${MAX_BLOCK_BYTES}`;
      throw this.#error('corrupt', offset, message);
    }

    const recordLength = PCAP_RECORD_HEADER_BYTES + capturedLength;
    if (this.#queue.length < recordLength) {
      return false;
    }
    const record = this.#queue.peek(recordLength);
    packets.push({
      linkType: this.#pcapLinkType,
      data: record.subarray(PCAP_RECORD_HEADER_BYTES),
      offset,
    });
    this.#queue.skip(recordLength);
    return true;
  }

  #readPcapngBlock(packets: CapturedPacket[]): boolean {
    if (this.#queue.length < PCAPNG_BLOCK_HEADER_BYTES) {
      return false;
    }
    const offset = this.#queue.offset;
    const start = this.#queue.peek(PCAPNG_BLOCK_HEADER_BYTES);
    const type = readUint32(start, 0, this.#littleEndian);
    if (type === PCAPNG_SECTION_HEADER) {
      this.#littleEndian = this.#readSectionByteOrder(start, offset);
    }

    const totalLength = readUint32(start, 4, this.#littleEndian);
    this.#checkBlockLength(type, totalLength, offset);
    if (this.#queue.length < totalLength) {
      return false;
    }

    const block = this.#queue.peek(totalLength);
    const trailingLength = readUint32(block, totalLength - 4, this.#littleEndian);
    if (trailingLength !== totalLength) {
      const message = `block of type ${hex32(type)} starts with length ${totalLength} but ends with length ${trailingLength}`;
      throw this.#error('corrupt', offset, message);
    }

    const body = new BlockBody(block.subarray(8, totalLength - 4), offset + 8, this.#littleEndian);
    this.#readBlockBody(type, body, packets);
    this.#queue.skip(totalLength);
    return true;
  }

  #readSectionByteOrder(start: Uint8Array, offset: number): boolean {
    if (readUint32(start, 8, true) === PCAPNG_BYTE_ORDER_MAGIC) {
      return true;
    }
    if (readUint32(start, 8, false) === PCAPNG_BYTE_ORDER_MAGIC) {
      return false;
    }
    const found = hex32(readUint32(start, 8, false));
    const message = `section header has byte-order magic ${found}, expected 0x1a2b3c4d in either byte order`;
    throw this.#error('corrupt', offset + 8, message);
  }

  #checkBlockLength(type: number, totalLength: number, offset: number): void {
    const minimum = type === PCAPNG_SECTION_HEADER ? 28 : PCAPNG_BLOCK_HEADER_BYTES;
    if (totalLength < minimum || totalLength % 4 !== 0 || totalLength > MAX_BLOCK_BYTES) {
      const message = `block of type ${hex32(type)} has an invalid total length ${totalLength}; it must be a multiple of 4 from ${minimum} to ${MAX_BLOCK_BYTES}`;
      throw this.#error('corrupt', offset + 4, message);
    }
  }

  #readBlockBody(type: number, body: BlockBody, packets: CapturedPacket[]): void {
    const offset = body.offset - 8;
    try {
      this.#readBlockFields(type, body, offset, packets);
    } catch (error) {
      if (error instanceof FieldBoundsError) {
        const message = `block of type ${hex32(type)} is too short for its ${error.field} field`;
        throw this.#error('corrupt', error.offset, message);
      }
      throw error;
    }
  }

  #readBlockFields(type: number, body: BlockBody, offset: number, packets: CapturedPacket[]): void {
    switch (type) {
      case PCAPNG_SECTION_HEADER:
        this.#readSectionHeader(body);
        return;
      case BLOCK_INTERFACE_DESCRIPTION:
        this.#interfaces.push({
          linkType: body.uint16(0, 'link type'),
          snapLength: body.uint32(4, 'snap length'),
        });
        return;
      case BLOCK_ENHANCED_PACKET:
        packets.push(this.#readPacketBlock(body, offset, body.uint32(0, 'interface id'), 4));
        return;
      case BLOCK_PACKET_OBSOLETE:
        packets.push(this.#readPacketBlock(body, offset, body.uint16(0, 'interface id'), 4));
        return;
      case BLOCK_SIMPLE_PACKET:
        packets.push(this.#readSimplePacketBlock(body, offset));
        return;
      default:
        // Name resolution, statistics, decryption secrets and custom blocks carry no packets.
        return;
    }
  }

  #readSectionHeader(body: BlockBody): void {
    const major = body.uint16(4, 'major version');
    if (major !== 1) {
      const message = `section header has pcapng major version ${major}; only version 1 is supported`;
      throw this.#error('corrupt', body.offset + 4, message);
    }
    this.#interfaces = [];
  }

  /**
   * Reads an Enhanced Packet Block or an obsolete Packet Block. Both have the timestamp,
   * captured length and original length at the same place, after the interface id field,
   * which is 4 or 2+2 bytes long.
   */
  #readPacketBlock(
    body: BlockBody,
    offset: number,
    interfaceId: number,
    fieldsStart: number,
  ): CapturedPacket {
    const capturedLength = body.uint32(fieldsStart + 8, 'captured length');
    const dataStart = fieldsStart + 16;
    const data = body.bytes(dataStart, capturedLength, 'packet data');
    return { linkType: this.#interfaceLinkType(interfaceId, offset), data, offset };
  }

  #readSimplePacketBlock(body: BlockBody, offset: number): CapturedPacket {
    const originalLength = body.uint32(0, 'original length');
    const linkType = this.#interfaceLinkType(0, offset);
    const snapLength = this.#interfaces[0]?.snapLength ?? 0;
    // The block does not store the captured length, so it is the smallest of the
    // original length, the snap length and the space in the block.
    let capturedLength = Math.min(originalLength, body.length - 4);
    if (snapLength > 0) {
      capturedLength = Math.min(capturedLength, snapLength);
    }
    return { linkType, data: body.bytes(4, capturedLength, 'packet data'), offset };
  }

  #interfaceLinkType(interfaceId: number, offset: number): number {
    const description = this.#interfaces[interfaceId];
    if (description === undefined) {
      const message = `packet block refers to interface ${interfaceId}, but the section describes ${this.#interfaces.length} interfaces`;
      throw this.#error('corrupt', offset, message);
    }
    return description.linkType;
  }

  /** Builds an error whose message names the file and the byte offset. */
  #error(code: CaptureErrorCode, offset: number, problem: string): CaptureFormatError {
    return new CaptureFormatError(code, offset, `${this.#fileName}: byte ${offset}: ${problem}`);
  }
}

/** Reads all packets of a capture held in memory. */
export function readCapture(bytes: Uint8Array, fileName: string): CapturedPacket[] {
  const reader = new CaptureReader(fileName);
  const packets = reader.push(bytes);
  reader.end();
  return packets;
}

/** Reads packets from a capture delivered in chunks, such as a file read stream. */
export async function* readCaptureChunks(
  chunks: AsyncIterable<Uint8Array>,
  fileName: string,
): AsyncGenerator<CapturedPacket> {
  const reader = new CaptureReader(fileName);
  for await (const chunk of chunks) {
    yield* reader.push(chunk);
  }
  reader.end();
}

/** Read past the end of a pcapng block body; CaptureReader turns it into a CaptureFormatError. */
class FieldBoundsError extends Error {
  readonly field: string;
  readonly offset: number;

  constructor(field: string, offset: number) {
    super(`${field} at byte ${offset} is out of bounds`);
    this.field = field;
    this.offset = offset;
  }
}

/** Body of one pcapng block, between the length fields, with bounds-checked reads. */
class BlockBody {
  readonly #bytes: Uint8Array;
  readonly #littleEndian: boolean;
  /** Byte offset of the body in the file. */
  readonly offset: number;

  constructor(bytes: Uint8Array, offset: number, littleEndian: boolean) {
    this.#bytes = bytes;
    this.offset = offset;
    this.#littleEndian = littleEndian;
  }

  get length(): number {
    return this.#bytes.length;
  }

  uint16(at: number, field: string): number {
    this.#check(at, 2, field);
    return readUint16(this.#bytes, at, this.#littleEndian);
  }

  uint32(at: number, field: string): number {
    this.#check(at, 4, field);
    return readUint32(this.#bytes, at, this.#littleEndian);
  }

  bytes(at: number, length: number, field: string): Uint8Array {
    this.#check(at, length, field);
    return this.#bytes.subarray(at, at + length);
  }

  #check(at: number, length: number, field: string): void {
    if (at + length > this.#bytes.length) {
      throw new FieldBoundsError(field, this.offset + at);
    }
  }
}

/**
 * FIFO of file chunks. `peek` returns the first bytes as one contiguous view, joining
 * chunks only when a record spans them.
 */
class ByteQueue {
  #chunks: Uint8Array[] = [];
  /** Bytes buffered. */
  length = 0;
  /** Byte offset in the file of the first buffered byte. */
  offset = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.length += chunk.length;
    }
  }

  /** Returns the first `count` bytes, which the caller has checked are buffered. */
  peek(count: number): Uint8Array {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= count) {
      return first.subarray(0, count);
    }
    const joined = new Uint8Array(this.length);
    let position = 0;
    for (const chunk of this.#chunks) {
      joined.set(chunk, position);
      position += chunk.length;
    }
    this.#chunks = [joined];
    return joined.subarray(0, count);
  }

  skip(count: number): void {
    this.length -= count;
    this.offset += count;
    let left = count;
    while (left > 0) {
      const first = this.#chunks[0];
      if (first === undefined) {
        return;
      }
      if (first.length > left) {
        this.#chunks[0] = first.subarray(left);
        return;
      }
      left -= first.length;
      this.#chunks.shift();
    }
  }
}

function readUint16(bytes: Uint8Array, at: number, littleEndian: boolean): number {
  const first = bytes[at] ?? 0;
  const second = bytes[at + 1] ?? 0;
  return littleEndian ? first | (second << 8) : (first << 8) | second;
}

function readUint32(bytes: Uint8Array, at: number, littleEndian: boolean): number {
  const low = readUint16(bytes, littleEndian ? at : at + 2, littleEndian);
  const high = readUint16(bytes, littleEndian ? at + 2 : at, littleEndian);
  return high * 0x10000 + low;
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
