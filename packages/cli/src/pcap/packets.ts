/**
 * Decoding of captured packets down to TCP segments: the link layer, IPv4 or IPv6 with
 * extension headers, and the TCP header. Every read is preceded by a length check, and a
 * packet that fails one is returned as `malformed` rather than thrown.
 */

/** TCP segment with its endpoints. Addresses are formatted, IPv6 in brackets. */
export interface TcpSegment {
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly destinationAddress: string;
  readonly destinationPort: number;
  /** Sequence number of the first byte of the segment (of the SYN flag when it is set). */
  readonly sequence: number;
  /** TCP flags byte: FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10. */
  readonly flags: number;
  readonly payload: Uint8Array;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/**
 * Outcome of decoding one packet. `other` covers traffic that is not TCP over IP (ARP,
 * UDP, ICMP); `fragment` is an IP fragment, which is not reassembled.
 */
export type DecodedPacket =
  | { readonly kind: 'tcp'; readonly segment: TcpSegment }
  | { readonly kind: 'other' }
  | { readonly kind: 'fragment' }
  | { readonly kind: 'unsupported_link_type' }
  | { readonly kind: 'malformed'; readonly reason: string };

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Link types that `decodePacket` reads. */
export const SUPPORTED_LINK_TYPES: readonly number[] = [
  LINKTYPE_NULL,
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW,
  LINKTYPE_LOOP,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL2,
];

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_ETHERTYPES = new Set([0x8100, 0x88a8, 0x9100]);
/** More stacked VLAN tags than this are taken as a malformed frame. */
const MAX_VLAN_TAGS = 8;

/** Address family values of the loopback header: AF_INET6 differs between systems. */
const AF_INET = 2;
const AF_INET6_VALUES = new Set([10, 24, 28, 30]);

const PROTOCOL_TCP = 6;
/** IPv6 extension headers with the generic layout: next header, then length in 8-byte units minus one. */
const IPV6_GENERIC_EXTENSIONS = new Set([0, 43, 60, 135, 139, 140]);
const IPV6_FRAGMENT = 44;
const IPV6_AUTHENTICATION = 51;
const MAX_IPV6_EXTENSIONS = 16;

const OTHER: DecodedPacket = { kind: 'other' };
const FRAGMENT: DecodedPacket = { kind: 'fragment' };

/** Decodes a packet captured on an interface of link type `linkType`. */
export function decodePacket(linkType: number, data: Uint8Array): DecodedPacket {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return decodeEthernet(data);
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return decodeLoopback(data);
    case LINKTYPE_RAW:
      return decodeRawIp(data);
    case LINKTYPE_IPV4:
      return decodeIpv4(data);
    case LINKTYPE_IPV6:
      return decodeIpv6(data);
    case LINKTYPE_LINUX_SLL:
      return decodeLinuxCooked(data, 16, 14);
    case LINKTYPE_LINUX_SLL2:
      return decodeLinuxCooked(data, 20, 0);
    default:
      return { kind: 'unsupported_link_type' };
  }
}

function decodeEthernet(data: Uint8Array): DecodedPacket {
  if (data.length < 14) {
    return malformed(`Ethernet frame of ${data.length} bytes is shorter than its 14-byte header`);
  }
  return decodeEtherType(data, readUint16(data, 12), 14);
}

/**
 * Decodes the payload at `offset`, whose EtherType is `etherType`, skipping 802.1Q and
 * 802.1ad VLAN tags.
 */
function decodeEtherType(data: Uint8Array, etherType: number, offset: number): DecodedPacket {
  let type = etherType;
  let position = offset;
  for (let tags = 0; VLAN_ETHERTYPES.has(type); tags += 1) {
    if (tags === MAX_VLAN_TAGS) {
      return malformed(`frame has more than ${MAX_VLAN_TAGS} VLAN tags`);
    }
    if (data.length < position + 4) {
      return malformed(`VLAN tag at byte ${position} is cut off`);
    }
    type = readUint16(data, position + 2);
    position += 4;
  }

  const payload = data.subarray(position);
  if (type === ETHERTYPE_IPV4) {
    return decodeIpv4(payload);
  }
  if (type === ETHERTYPE_IPV6) {
    return decodeIpv6(payload);
  }
  return OTHER;
}

/**
 * Decodes a BSD loopback packet. The 4-byte address family is in the byte order of the
 * machine that wrote the capture, so both orders are tried.
 */
function decodeLoopback(data: Uint8Array): DecodedPacket {
  if (data.length < 4) {
    return malformed(`loopback packet of ${data.length} bytes is shorter than its 4-byte header`);
  }
  const bigEndian = readUint32(data, 0);
  const littleEndian = readUint32LittleEndian(data, 0);
  const payload = data.subarray(4);
  if (bigEndian === AF_INET || littleEndian === AF_INET) {
    return decodeIpv4(payload);
  }
  if (AF_INET6_VALUES.has(bigEndian) || AF_INET6_VALUES.has(littleEndian)) {
    return decodeIpv6(payload);
  }
  return OTHER;
}

/** Decodes a packet that starts with an IP header, IPv4 or IPv6 by its version field. */
function decodeRawIp(data: Uint8Array): DecodedPacket {
  const first = data[0];
  if (first === undefined) {
    return malformed('raw IP packet is empty');
  }
  const version = first >> 4;
  if (version === 4) {
    return decodeIpv4(data);
  }
  if (version === 6) {
    return decodeIpv6(data);
  }
  return malformed(`raw IP packet has IP version ${version}`);
}

/** Decodes a Linux cooked capture header (SLL or SLL2) and what follows it. */
function decodeLinuxCooked(
  data: Uint8Array,
  headerLength: number,
  protocolOffset: number,
): DecodedPacket {
  if (data.length < headerLength) {
    return malformed(
      `Linux cooked capture packet of ${data.length} bytes is shorter than its ${headerLength}-byte header`,
    );
  }
  return decodeEtherType(data, readUint16(data, protocolOffset), headerLength);
}

function decodeIpv4(data: Uint8Array): DecodedPacket {
  if (data.length < 20) {
    return malformed(`IPv4 packet of ${data.length} bytes is shorter than the 20-byte header`);
  }
  const first = data[0] ?? 0;
  const version = first >> 4;
  const headerLength = (first & 0x0f) * 4;
  if (version !== 4) {
    return malformed(`IPv4 header has version ${version}`);
  }
  if (headerLength < 20 || headerLength > data.length) {
    return malformed(`IPv4 header length ${headerLength} is outside 20 to ${data.length}`);
  }

  // A total length of 0 comes from TCP segmentation offload; the captured bytes are then
  // the packet. A total length below the captured length leaves Ethernet padding out.
  let totalLength = readUint16(data, 2);
  if (totalLength === 0) {
    totalLength = data.length;
  }
  if (totalLength < headerLength) {
    return malformed(`IPv4 total length ${totalLength} is below the header length ${headerLength}`);
  }

  const fragmentField = readUint16(data, 6);
  const moreFragments = (fragmentField & 0x2000) !== 0;
  const fragmentOffset = fragmentField & 0x1fff;
  if (moreFragments || fragmentOffset !== 0) {
    // NOTE: IP fragments are not reassembled. A ClientHello sent in fragmented IP packets
    // is reported as an incomplete stream, or not at all when it is the stream's only data.
    return FRAGMENT;
  }
  if (data[9] !== PROTOCOL_TCP) {
    return OTHER;
  }

  const source = formatIpv4(data.subarray(12, 16));
  const destination = formatIpv4(data.subarray(16, 20));
  const end = Math.min(totalLength, data.length);
  return decodeTcp(data.subarray(headerLength, end), source, destination);
}

function decodeIpv6(data: Uint8Array): DecodedPacket {
  if (data.length < 40) {
    return malformed(`IPv6 packet of ${data.length} bytes is shorter than the 40-byte header`);
  }
  const version = (data[0] ?? 0) >> 4;
  if (version !== 6) {
    return malformed(`IPv6 header has version ${version}`);
  }

  // A payload length of 0 marks a jumbogram or segmentation offload; the captured bytes
  // are then the packet.
  const payloadLength = readUint16(data, 4);
  const end = payloadLength === 0 ? data.length : Math.min(40 + payloadLength, data.length);
  const packet = data.subarray(0, end);
  const source = `[${formatIpv6(data.subarray(8, 24))}]`;
  const destination = `[${formatIpv6(data.subarray(24, 40))}]`;

  let nextHeader = data[6] ?? 0;
  let position = 40;
  for (let count = 0; count <= MAX_IPV6_EXTENSIONS; count += 1) {
    if (nextHeader === PROTOCOL_TCP) {
      return decodeTcp(packet.subarray(position), source, destination);
    }
    if (count === MAX_IPV6_EXTENSIONS) {
      break;
    }
    if (packet.length < position + 8) {
      return malformed(`IPv6 extension header ${nextHeader} at byte ${position} is cut off`);
    }
    const following = packet[position] ?? 0;
    const lengthField = packet[position + 1] ?? 0;

    if (IPV6_GENERIC_EXTENSIONS.has(nextHeader)) {
      position += (lengthField + 1) * 8;
    } else if (nextHeader === IPV6_AUTHENTICATION) {
      position += (lengthField + 2) * 4;
    } else if (nextHeader === IPV6_FRAGMENT) {
      const fragmentField = readUint16(packet, position + 2);
      const fragmentOffset = fragmentField >> 3;
      const moreFragments = (fragmentField & 0x1) !== 0;
      if (moreFragments || fragmentOffset !== 0) {
        return FRAGMENT;
      }
      position += 8;
    } else {
      // UDP, ICMPv6, ESP, "no next header" and anything unknown.
      return OTHER;
    }
    nextHeader = following;
  }
  return malformed(`IPv6 packet has more than ${MAX_IPV6_EXTENSIONS} extension headers`);
}

function decodeTcp(data: Uint8Array, source: string, destination: string): DecodedPacket {
  if (data.length < 20) {
    return malformed(`TCP segment of ${data.length} bytes is shorter than the 20-byte header`);
  }
  const headerLength = ((data[12] ?? 0) >> 4) * 4;
  if (headerLength < 20 || headerLength > data.length) {
    return malformed(`TCP header length ${headerLength} is outside 20 to ${data.length}`);
  }
  return {
    kind: 'tcp',
    segment: {
      sourceAddress: source,
      sourcePort: readUint16(data, 0),
      destinationAddress: destination,
      destinationPort: readUint16(data, 2),
      sequence: readUint32(data, 4),
      flags: data[13] ?? 0,
      payload: data.subarray(headerLength),
    },
  };
}

function formatIpv4(bytes: Uint8Array): string {
  return Array.from(bytes).join('.');
}

/** Formats an IPv6 address as RFC 5952 recommends: lower case, longest zero run as `::`. */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let index = 0; index < 16; index += 2) {
    groups.push(readUint16(bytes, index));
  }

  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start += 1;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) {
      end += 1;
    }
    // RFC 5952 section 4.2.2: a single zero group is not shortened.
    if (end - start > bestLength && end - start >= 2) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }

  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) {
    return hex.join(':');
  }
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

function malformed(reason: string): DecodedPacket {
  return { kind: 'malformed', reason };
}

/** Reads a big-endian 16-bit value; callers check the length first. */
function readUint16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

function readUint32(bytes: Uint8Array, at: number): number {
  return readUint16(bytes, at) * 0x10000 + readUint16(bytes, at + 2);
}

function readUint32LittleEndian(bytes: Uint8Array, at: number): number {
  const low = (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
  const high = (bytes[at + 2] ?? 0) | ((bytes[at + 3] ?? 0) << 8);
  return high * 0x10000 + low;
}
