import { isIPv4, isIPv6, SocketAddress } from 'node:net';

// PROXY protocol versions 1 and 2, as HAProxy specifies them
// (doc/proxy-protocol.txt in the HAProxy sources): a load balancer that
// forwards raw TCP sends this header first, with the client's address.

/** Client address carried by a PROXY header. */
export interface ProxiedAddress {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** Result of reading a PROXY header from the start of a connection. */
export type ProxyHeaderResult =
  /** More bytes are needed. */
  | { readonly status: 'incomplete' }
  | { readonly status: 'invalid'; readonly reason: string }
  /**
   * A valid header of `length` bytes. `source` is null for a header that
   * carries no address (v1 `UNKNOWN`, v2 `LOCAL` or an unspecified family),
   * such as a balancer's own health check.
   */
  | { readonly status: 'valid'; readonly length: number; readonly source: ProxiedAddress | null };

const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** Maximum v1 header length: `PROXY TCP6` with two full IPv6 addresses, ports and CRLF. */
const V1_MAX_LENGTH = 107;
const V2_HEADER_SIZE = 16;

const INCOMPLETE = { status: 'incomplete' } as const;

function invalid(reason: string): ProxyHeaderResult {
  return { status: 'invalid', reason };
}

/** Tells whether `bytes` start like a PROXY header (v1 or v2), as far as they go. */
export function startsLikeProxyHeader(bytes: Uint8Array): boolean {
  const signature = bytes[0] === 0x0d ? V2_SIGNATURE : V1_PREFIX;
  const length = Math.min(bytes.length, signature.length);
  for (let i = 0; i < length; i++) if (bytes[i] !== signature[i]) return false;
  return length > 0;
}

/** Reads a PROXY header (v1 or v2) at the start of `bytes`. */
export function readProxyHeader(bytes: Uint8Array): ProxyHeaderResult {
  if (bytes.length === 0) return INCOMPLETE;
  if (!startsLikeProxyHeader(bytes))
    return invalid('the connection does not start with a PROXY protocol header');
  return bytes[0] === 0x0d ? readVersion2(bytes) : readVersion1(bytes);
}

function readVersion1(bytes: Uint8Array): ProxyHeaderResult {
  const limit = Math.min(bytes.length, V1_MAX_LENGTH);
  let end = -1;
  for (let i = 0; i + 1 < limit; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) {
      end = i;
      break;
    }
  }
  if (end === -1) {
    return bytes.length >= V1_MAX_LENGTH
      ? invalid('PROXY v1 header has no CRLF within 107 bytes')
      : INCOMPLETE;
  }

  const line = Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1');
  const fields = line.split(' ');
  const length = end + 2;
  if (fields[1] === 'UNKNOWN') return { status: 'valid', length, source: null };
  if (fields.length !== 6 || (fields[1] !== 'TCP4' && fields[1] !== 'TCP6')) {
    return invalid(
      `PROXY v1 header ${JSON.stringify(line)} is not "PROXY TCP4|TCP6 src dst sport dport"`,
    );
  }

  const family = fields[1] === 'TCP4' ? 'IPv4' : 'IPv6';
  const address = fields[2]!;
  const port = Number(fields[4]);
  const validAddress = family === 'IPv4' ? isIPv4(address) : isIPv6(address);
  if (!validAddress || !isPortText(fields[4]!) || !isPortText(fields[5]!)) {
    return invalid(`PROXY v1 header ${JSON.stringify(line)} has an invalid address or port`);
  }
  return { status: 'valid', length, source: { address, port, family } };
}

function readVersion2(bytes: Uint8Array): ProxyHeaderResult {
  if (bytes.length < V2_HEADER_SIZE) return INCOMPLETE;
  const versionCommand = bytes[12]!;
  if (versionCommand >> 4 !== 2)
    return invalid(`PROXY v2 header has version ${versionCommand >> 4}`);
  const command = versionCommand & 0x0f;
  if (command > 1) return invalid(`PROXY v2 header has unknown command ${command}`);
  const familyProtocol = bytes[13]!;
  const addressLength = (bytes[14]! << 8) | bytes[15]!;
  const length = V2_HEADER_SIZE + addressLength;
  if (bytes.length < length) return INCOMPLETE;
  // LOCAL (command 0): the connection comes from the balancer itself, so the socket address is kept.
  if (command === 0) return { status: 'valid', length, source: null };

  const view = bytes.subarray(V2_HEADER_SIZE, length);
  switch (familyProtocol) {
    case 0x11: // TCP over IPv4: 4 + 4 address bytes, 2 + 2 port bytes.
      if (addressLength < 12) return invalid('PROXY v2 TCP4 block is shorter than 12 bytes');
      return {
        status: 'valid',
        length,
        source: {
          address: `${view[0]}.${view[1]}.${view[2]}.${view[3]}`,
          port: (view[8]! << 8) | view[9]!,
          family: 'IPv4',
        },
      };
    case 0x21: {
      // TCP over IPv6: 16 + 16 address bytes, 2 + 2 port bytes.
      if (addressLength < 36) return invalid('PROXY v2 TCP6 block is shorter than 36 bytes');
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(((view[i]! << 8) | view[i + 1]!).toString(16));
      // SocketAddress prints the canonical RFC 5952 form, as socket.remoteAddress does.
      const address = new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
      return {
        status: 'valid',
        length,
        source: { address, port: (view[32]! << 8) | view[33]!, family: 'IPv6' },
      };
    }
    case 0x00:
      return { status: 'valid', length, source: null };
    default:
      return invalid(
        `PROXY v2 address family and protocol 0x${familyProtocol.toString(16)} is not TCP over IPv4 or IPv6`,
      );
  }
}

function isPortText(text: string): boolean {
  return /^(0|[1-9]\d{0,4})$/.test(text) && Number(text) <= 65_535;
}
