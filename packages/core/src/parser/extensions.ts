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

/**
 * Reads a length prefix inside extension data and returns the position where
 * the vector ends. The vector must fit before `limit` (the end of the
 * extension data or of the enclosing list), so a decoder never reads the bytes
 * of the next extension. Raises ERR_INVALID_EXTENSION when it does not fit.
 */
function innerVector(reader: ByteReader, prefixSize: 1 | 2, limit: number, field: string): number {
  const lengthAt = reader.pos;
  if (limit - lengthAt < prefixSize) {
    throw reader.fail(
      ParseErrorCode.INVALID_EXTENSION,
      lengthAt,
      field,
      `${field} length needs ${prefixSize} bytes but ${limit - lengthAt} are left in the extension`,
    );
  }
  const length = prefixSize === 1 ? reader.u8(field) : reader.u16(field);
  if (length > limit - reader.pos) {
    throw reader.fail(
      ParseErrorCode.INVALID_EXTENSION,
      lengthAt,
      field,
      `${field} length ${length} exceeds the ${limit - reader.pos} bytes left in the extension`,
    );
  }
  return reader.pos + length;
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
  const listEnd = innerVector(reader, prefixSize, dataEnd, field);
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
  const listEnd = innerVector(reader, 1, dataEnd, field);
  while (reader.pos < listEnd) values.push(reader.u8(field));
  checkEnd(reader, listEnd, dataEnd, field);
  return values;
}

/**
 * Reads server_name (RFC 6066 section 3) and returns the first host_name, or
 * null when the list contains none.
 */
export function readServerName(reader: ByteReader, dataEnd: number): string | null {
  if (reader.pos === dataEnd) return null;
  const listEnd = innerVector(reader, 2, dataEnd, 'server_name_list');
  checkEnd(reader, listEnd, dataEnd, 'server_name_list');
  let hostName: string | null = null;
  while (reader.pos < listEnd) {
    const nameType = reader.u8('server_name name_type');
    const nameEnd = innerVector(reader, 2, listEnd, 'server_name host_name');
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
  const listEnd = innerVector(reader, 2, dataEnd, 'protocol_name_list');
  checkEnd(reader, listEnd, dataEnd, 'protocol_name_list');
  while (reader.pos < listEnd) {
    const nameEnd = innerVector(reader, 1, listEnd, 'protocol_name');
    protocols.push(decodeLatin1(reader.bytes, reader.pos, nameEnd));
    reader.pos = nameEnd;
  }
  return protocols;
}
