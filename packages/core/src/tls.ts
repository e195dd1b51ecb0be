// TLS registry values used by the parser and the fingerprints.
// Sources: RFC 8446 section 4.2 (extension types), RFC 8701 (GREASE),
// and the IANA "TLS ExtensionType Values" registry.

/** Extension types, as assigned by IANA. */
export const ExtensionType = {
  SERVER_NAME: 0x0000,
  SUPPORTED_GROUPS: 0x000a,
  EC_POINT_FORMATS: 0x000b,
  SIGNATURE_ALGORITHMS: 0x000d,
  ALPN: 0x0010,
  SUPPORTED_VERSIONS: 0x002b,
} as const;

/** Handshake message types (RFC 8446 section 4). */
export const HandshakeType = {
  CLIENT_HELLO: 1,
  SERVER_HELLO: 2,
} as const;

/** Record content type of handshake records (RFC 8446 section 5.1). */
export const CONTENT_TYPE_HANDSHAKE = 0x16;

/** Largest record fragment a peer may send: 2^14 bytes (RFC 8446 section 5.1). */
export const MAX_RECORD_FRAGMENT = 16_384;

/** Size of a TLS record header: type, version, length. */
export const TLS_RECORD_HEADER_SIZE = 5;

/** Size of a DTLS record header: type, version, epoch, sequence number, length (RFC 6347 section 4.1). */
export const DTLS_RECORD_HEADER_SIZE = 13;

/** Size of a TLS handshake header: type and a 24-bit length. */
export const HANDSHAKE_HEADER_SIZE = 4;

/** Size of a DTLS handshake header, with message_seq and the fragment fields (RFC 6347 section 4.2.2). */
export const DTLS_HANDSHAKE_HEADER_SIZE = 12;

/**
 * Tells whether a 16-bit value is a GREASE value (RFC 8701): 0x0a0a, 0x1a1a,
 * ... 0xfafa, whose two bytes are equal and end in 0xa. 0x0a1a is not GREASE.
 */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);
}

/**
 * Maps a protocol version to the two JA4 characters: `13`, `12`, `11`, `10`,
 * `s3`, `s2`, `d1`, `d2`, `d3`, or `00` for a value JA4 does not name.
 */
export function ja4VersionCode(version: number): string {
  switch (version) {
    case 0x0304:
      return '13';
    case 0x0303:
      return '12';
    case 0x0302:
      return '11';
    case 0x0301:
      return '10';
    case 0x0300:
      return 's3';
    case 0x0002:
      return 's2';
    case 0xfeff:
      return 'd1';
    case 0xfefd:
      return 'd2';
    case 0xfefc:
      return 'd3';
    default:
      return '00';
  }
}
