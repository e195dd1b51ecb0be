import { describe, expect, it } from 'vitest';
import {
  type DecodedPacket,
  decodePacket,
  formatIpv6,
  type TcpSegment,
} from '../../src/pcap/packets.js';
import {
  bytes,
  concat,
  ethernetFrame,
  ipv4Packet,
  ipv6Packet,
  type TcpPacketFields,
  uint16,
  uint32,
} from './builders.js';

const payload = bytes(0x16, 3, 1, 0, 1, 0xaa);
const fields: TcpPacketFields = { sourcePort: 40001, sequence: 0xfffffff0, payload };
const ipv6Source = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
const ipv6Destination = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 2]);

function segmentOf(decoded: DecodedPacket): TcpSegment {
  expect(decoded.kind).toBe('tcp');
  if (decoded.kind !== 'tcp') {
    throw new Error(`expected a TCP segment, got ${decoded.kind}`);
  }
  return decoded.segment;
}

function expectIpv4Segment(decoded: DecodedPacket): void {
  const segment = segmentOf(decoded);
  expect(segment.sourceAddress).toBe('10.0.0.1');
  expect(segment.destinationAddress).toBe('10.0.0.2');
  expect(segment.sourcePort).toBe(40001);
  expect(segment.destinationPort).toBe(443);
  expect(segment.sequence).toBe(0xfffffff0);
  expect(segment.flags).toBe(0x18);
  expect(Array.from(segment.payload)).toEqual(Array.from(payload));
}

describe('decodePacket link types', () => {
  it('decodes Ethernet with IPv4', () => {
    expectIpv4Segment(decodePacket(1, ethernetFrame(0x0800, ipv4Packet(fields))));
  });

  it('skips one VLAN tag', () => {
    expectIpv4Segment(decodePacket(1, ethernetFrame(0x0800, ipv4Packet(fields), [100])));
  });

  it('skips stacked VLAN tags', () => {
    expectIpv4Segment(decodePacket(1, ethernetFrame(0x0800, ipv4Packet(fields), [100, 200])));
  });

  it('rejects a cut VLAN tag', () => {
    const frame = concat(bytes(...new Array(12).fill(0)), uint16(0x8100), bytes(0));
    expect(decodePacket(1, frame).kind).toBe('malformed');
  });

  it('decodes Linux cooked SLL', () => {
    const header = concat(
      uint16(0),
      uint16(1),
      uint16(6),
      bytes(...new Array(8).fill(0)),
      uint16(0x0800),
    );
    expectIpv4Segment(decodePacket(113, concat(header, ipv4Packet(fields))));
  });

  it('decodes Linux cooked SLL2', () => {
    const header = concat(
      uint16(0x0800),
      uint16(0),
      uint32(2),
      uint16(1),
      bytes(0, 6),
      bytes(...new Array(8).fill(0)),
    );
    expectIpv4Segment(decodePacket(276, concat(header, ipv4Packet(fields))));
  });

  it.each([
    { name: 'little-endian AF_INET', header: uint32(2, true) },
    { name: 'big-endian AF_INET', header: uint32(2) },
  ])('decodes loopback with $name', ({ header }) => {
    expectIpv4Segment(decodePacket(0, concat(header, ipv4Packet(fields))));
  });

  it('decodes loopback IPv6 with macOS AF_INET6', () => {
    const packet = ipv6Packet(fields, ipv6Source, ipv6Destination);
    const segment = segmentOf(decodePacket(0, concat(uint32(30, true), packet)));
    expect(segment.sourceAddress).toBe('[2001:db8::1]');
  });

  it.each([
    { linkType: 101, version: 'IPv4' },
    { linkType: 228, version: 'IPv4' },
  ])('decodes raw $version on link type $linkType', ({ linkType }) => {
    expectIpv4Segment(decodePacket(linkType, ipv4Packet(fields)));
  });

  it.each([101, 229])('decodes raw IPv6 on link type %i', (linkType) => {
    const segment = segmentOf(
      decodePacket(linkType, ipv6Packet(fields, ipv6Source, ipv6Destination)),
    );
    expect(segment.sourceAddress).toBe('[2001:db8::1]');
    expect(segment.destinationAddress).toBe('[2001:db8::2]');
    expect(Array.from(segment.payload)).toEqual(Array.from(payload));
  });

  it('reports an unsupported link type', () => {
    expect(decodePacket(105, ipv4Packet(fields)).kind).toBe('unsupported_link_type');
  });

  it('skips ARP frames', () => {
    expect(decodePacket(1, ethernetFrame(0x0806, bytes(...new Array(28).fill(0)))).kind).toBe(
      'other',
    );
  });
});

describe('decodePacket IP and TCP', () => {
  it('drops Ethernet padding after the IPv4 packet', () => {
    const frame = concat(ethernetFrame(0x0800, ipv4Packet(fields)), bytes(0, 0, 0, 0));
    expectIpv4Segment(decodePacket(1, frame));
  });

  it('uses captured bytes for total length 0', () => {
    const packet = ipv4Packet(fields);
    packet.set(uint16(0), 2);
    expectIpv4Segment(decodePacket(101, packet));
  });

  it('skips IPv4 fragments', () => {
    expect(decodePacket(101, ipv4Packet(fields, 0x2000)).kind).toBe('fragment');
    expect(decodePacket(101, ipv4Packet(fields, 0x0010)).kind).toBe('fragment');
  });

  it('skips UDP', () => {
    const packet = ipv4Packet(fields);
    packet[9] = 17;
    expect(decodePacket(101, packet).kind).toBe('other');
  });

  it('walks IPv6 extension headers', () => {
    const hopByHop = concat(bytes(60, 0), bytes(...new Array(6).fill(0)));
    const destinationOptions = concat(bytes(6, 1), bytes(...new Array(14).fill(0)));
    const packet = ipv6Packet(fields, ipv6Source, ipv6Destination, {
      nextHeader: 0,
      bytes: concat(hopByHop, destinationOptions),
    });
    const segment = segmentOf(decodePacket(229, packet));
    expect(Array.from(segment.payload)).toEqual(Array.from(payload));
  });

  it('skips IPv6 fragments', () => {
    const fragment = concat(bytes(6, 0), uint16(0x0001), uint32(7));
    const packet = ipv6Packet(fields, ipv6Source, ipv6Destination, {
      nextHeader: 44,
      bytes: fragment,
    });
    expect(decodePacket(229, packet).kind).toBe('fragment');
  });

  it('reads an atomic IPv6 fragment', () => {
    const fragment = concat(bytes(6, 0), uint16(0), uint32(7));
    const packet = ipv6Packet(fields, ipv6Source, ipv6Destination, {
      nextHeader: 44,
      bytes: fragment,
    });
    expect(decodePacket(229, packet).kind).toBe('tcp');
  });

  it('rejects a bad IPv4 header length', () => {
    const packet = ipv4Packet(fields);
    packet[0] = 0x44;
    expect(decodePacket(101, packet).kind).toBe('malformed');
  });

  it('rejects a bad TCP data offset', () => {
    const packet = ipv4Packet(fields);
    packet[20 + 12] = 0xf0;
    expect(decodePacket(101, packet).kind).toBe('malformed');
  });

  it('never throws on truncated packets', () => {
    const packets = [
      ethernetFrame(0x0800, ipv4Packet(fields), [7]),
      ethernetFrame(0x86dd, ipv6Packet(fields, ipv6Source, ipv6Destination)),
    ];
    for (const packet of packets) {
      for (let length = 0; length <= packet.length; length += 1) {
        expect(() => decodePacket(1, packet.subarray(0, length)), `length ${length}`).not.toThrow();
      }
    }
  });
});

describe('formatIpv6', () => {
  const address = (...groups: number[]): Uint8Array =>
    concat(...groups.map((group) => uint16(group)));

  it.each([
    { groups: [0, 0, 0, 0, 0, 0, 0, 0], text: '::' },
    { groups: [0, 0, 0, 0, 0, 0, 0, 1], text: '::1' },
    { groups: [0xfe80, 0, 0, 0, 0, 0, 0, 0], text: 'fe80::' },
    { groups: [0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], text: '2001:db8:0:1:1:1:1:1' },
    { groups: [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], text: '2001:db8::1:0:0:1' },
    { groups: [0x2001, 0, 0, 1, 0, 0, 0, 1], text: '2001:0:0:1::1' },
    { groups: [0x2001, 0xdb8, 0xabcd, 0x12, 0, 0, 0, 0xff], text: '2001:db8:abcd:12::ff' },
  ])('formats $text', ({ groups, text }) => {
    expect(formatIpv6(address(...groups))).toBe(text);
  });
});
