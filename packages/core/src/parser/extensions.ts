import { ParseErrorCode } from '../errors.js';
import type { ByteReader } from './reader.js';

// Decoders for the extensions that JA4, JA3 and the rules read. Each takes a
// reader positioned at the extension data and the position where it ends.
// Zero-length data decodes to an empty list: such hellos occur in the wild,
// and the JA4 specification still fingerprints them.

/** Decodes bytes as latin1, one character per byte, without allocating a Buffer. */
export function decodeLatin1(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

function checkEnd(reader: ByteReader, listEnd: number, dataEnd: number, field: string): void {
  if (listEnd !== dataEnd) {
    throw reader.fail(
      ParseErrorCode.INVALID_EXTENSION,
      listEnd,
      field,
      `${dataEnd - listEnd} bytes follow the ${field} list inside its extension`,
    );
  }
}

/** Reads a list of 16-bit values behind a length prefix of `prefixSize` bytes (RFC 8446 section 4.2). */
export function readUint16List(
  reader: ByteReader,
  dataEnd: number,
  prefixSize: 1 | 2,
  field: string,
): number[] {
  const values: number[] = [];
  if (reader.pos === dataEnd) return values;
  const listStart = reader.pos;
  const listEnd = reader.vector(prefixSize, field);
  if ((listEnd - reader.pos) % 2 !== 0) {
    throw reader.fail(
      ParseErrorCode.INVALID_EXTENSION,
      listStart,
      field,
      `${field} length ${listEnd - reader.pos} is odd; the list holds 2-byte values`,
    );
  }
  while (reader.pos < listEnd) values.push(reader.u16(field));
  checkEnd(reader, listEnd, dataEnd, field);
  return values;
}

/** Reads ec_point_formats (RFC 8422 section 5.1.2): a 1-byte length and 1-byte values. */
export function readUint8List(reader: ByteReader, dataEnd: number, field: string): number[] {
  const values: number[] = [];
  if (reader.pos === dataEnd) return values;
  const listEnd = reader.vector(1, field);
  while (reader.pos < listEnd) values.push(reader.u8(field));
  checkEnd(reader, listEnd, dataEnd, field);
  return values;
}

/**
 * Reads server_name (RFC 6066 section 3) and returns the first host_name, or
 * null when the list holds none.
 */
export function readServerName(reader: ByteReader, dataEnd: number): string | null {
  if (reader.pos === dataEnd) return null;
  const listEnd = reader.vector(2, 'server_name_list');
  checkEnd(reader, listEnd, dataEnd, 'server_name_list');
  let hostName: string | null = null;
  while (reader.pos < listEnd) {
    const nameType = reader.u8('server_name name_type');
    const nameEnd = reader.vector(2, 'server_name host_name');
    if (nameType === 0 && hostName === null) {
      // RFC 6066 limits host_name to ASCII, so latin1 maps each byte to one character.
      hostName = decodeLatin1(reader.bytes, reader.pos, nameEnd);
    }
    reader.pos = nameEnd;
  }
  return hostName;
}

/**
 * Reads application_layer_protocol_negotiation (RFC 7301 section 3.1). Names
 * are decoded as latin1, so each character code is the byte on the wire.
 * Empty names are kept: they are invalid, but JA4 fingerprints them.
 */
export function readAlpnProtocols(reader: ByteReader, dataEnd: number): string[] {
  const protocols: string[] = [];
  if (reader.pos === dataEnd) return protocols;
  const listEnd = reader.vector(2, 'protocol_name_list');
  checkEnd(reader, listEnd, dataEnd, 'protocol_name_list');
  while (reader.pos < listEnd) {
    const nameEnd = reader.vector(1, 'protocol_name');
    protocols.push(decodeLatin1(reader.bytes, reader.pos, nameEnd));
    reader.pos = nameEnd;
  }
  return protocols;
}
