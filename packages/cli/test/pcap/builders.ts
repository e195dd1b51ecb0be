/**
 * Builders of small packets and capture files for the pcap tests. Checksums are left at
 * zero, because the reader does not verify them.
 */

export interface TcpPacketFields {
  readonly source?: string;
  readonly destination?: string;
  readonly sourcePort?: number;
  readonly destinationPort?: number;
  readonly sequence?: number;
  /** TCP flags byte; default ACK | PSH. */
  readonly flags?: number;
  readonly payload?: Uint8Array;
}

export const SYN = 0x02;
export const ACK = 0x10;
export const FIN = 0x01;
export const PSH_ACK = 0x18;

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const joined = new Uint8Array(total);
  let position = 0;
  for (const part of parts) {
    joined.set(part, position);
    position += part.length;
  }
  return joined;
}

export function uint16(value: number): Uint8Array {
  return bytes(value >> 8, value & 0xff);
}

export function uint32(value: number, littleEndian = false): Uint8Array {
  const big = bytes(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  return littleEndian ? big.reverse() : big;
}

export function tcpHeader(fields: TcpPacketFields): Uint8Array {
  return concat(
    uint16(fields.sourcePort ?? 40000),
    uint16(fields.destinationPort ?? 443),
    uint32(fields.sequence ?? 1000),
    uint32(0),
    bytes(0x50, fields.flags ?? PSH_ACK),
    uint16(0xffff),
    uint16(0),
    uint16(0),
    fields.payload ?? new Uint8Array(0),
  );
}

function ipv4Address(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

/** IPv4 packet carrying a TCP segment, optionally with IP flags and fragment offset. */
export function ipv4Packet(fields: TcpPacketFields, fragmentField = 0x4000): Uint8Array {
  const segment = tcpHeader(fields);
  return concat(
    bytes(0x45, 0),
    uint16(20 + segment.length),
    uint16(1),
    uint16(fragmentField),
    bytes(64, 6),
    uint16(0),
    ipv4Address(fields.source ?? '10.0.0.1'),
    ipv4Address(fields.destination ?? '10.0.0.2'),
    segment,
  );
}

/** IPv6 packet carrying a TCP segment, after the extension headers given as raw bytes. */
export function ipv6Packet(
  fields: TcpPacketFields,
  source: Uint8Array,
  destination: Uint8Array,
  extensions: { nextHeader: number; bytes: Uint8Array } = {
    nextHeader: 6,
    bytes: new Uint8Array(0),
  },
): Uint8Array {
  const payload = concat(extensions.bytes, tcpHeader(fields));
  return concat(
    bytes(0x60, 0, 0, 0),
    uint16(payload.length),
    bytes(extensions.nextHeader, 64),
    source,
    destination,
    payload,
  );
}

/** Ethernet frame with optional 802.1Q tags, each given as its VLAN id. */
export function ethernetFrame(
  etherType: number,
  payload: Uint8Array,
  vlanIds: number[] = [],
): Uint8Array {
  const tags = vlanIds.map((id) => concat(uint16(0x8100), uint16(id)));
  return concat(
    bytes(0, 2, 2, 0, 0, 2),
    bytes(0, 2, 2, 0, 0, 1),
    ...tags,
    uint16(etherType),
    payload,
  );
}

export interface PcapOptions {
  readonly littleEndian?: boolean;
  readonly nanoseconds?: boolean;
  readonly linkType?: number;
}

/** Builds a classic pcap file that contains `packets`. */
export function pcapFile(packets: Uint8Array[], options: PcapOptions = {}): Uint8Array {
  const little = options.littleEndian ?? true;
  const magic = options.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4;
  const header = concat(
    uint32(magic, little),
    little ? bytes(2, 0, 4, 0) : bytes(0, 2, 0, 4),
    uint32(0, little),
    uint32(0, little),
    uint32(262144, little),
    uint32(options.linkType ?? 1, little),
  );
  const records = packets.map((packet, index) =>
    concat(
      uint32(1_700_000_000 + index, little),
      uint32(0, little),
      uint32(packet.length, little),
      uint32(packet.length, little),
      packet,
    ),
  );
  return concat(header, ...records);
}

/** pcapng block with the given type and body, padded to 4 bytes. */
export function pcapngBlock(type: number, body: Uint8Array, littleEndian = true): Uint8Array {
  const padding = new Uint8Array((4 - (body.length % 4)) % 4);
  const total = 12 + body.length + padding.length;
  return concat(
    uint32(type, littleEndian),
    uint32(total, littleEndian),
    body,
    padding,
    uint32(total, littleEndian),
  );
}

export function sectionHeaderBlock(littleEndian = true): Uint8Array {
  const body = concat(
    uint32(0x1a2b3c4d, littleEndian),
    littleEndian ? bytes(1, 0, 0, 0) : bytes(0, 1, 0, 0),
    bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
  );
  return pcapngBlock(0x0a0d0d0a, body, littleEndian);
}

export function interfaceBlock(linkType: number, littleEndian = true, snapLength = 0): Uint8Array {
  const linkTypeBytes = littleEndian ? bytes(linkType & 0xff, linkType >> 8) : uint16(linkType);
  return pcapngBlock(
    1,
    concat(linkTypeBytes, bytes(0, 0), uint32(snapLength, littleEndian)),
    littleEndian,
  );
}

export function enhancedPacketBlock(
  interfaceId: number,
  packet: Uint8Array,
  littleEndian = true,
): Uint8Array {
  const body = concat(
    uint32(interfaceId, littleEndian),
    uint32(0, littleEndian),
    uint32(0, littleEndian),
    uint32(packet.length, littleEndian),
    uint32(packet.length, littleEndian),
    packet,
  );
  return pcapngBlock(6, body, littleEndian);
}

export function simplePacketBlock(packet: Uint8Array, littleEndian = true): Uint8Array {
  return pcapngBlock(3, concat(uint32(packet.length, littleEndian), packet), littleEndian);
}
