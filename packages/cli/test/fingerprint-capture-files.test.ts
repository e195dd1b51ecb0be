import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, readCorpus, runCli } from './helpers.js';
import {
  ACK,
  concat,
  enhancedPacketBlock,
  ethernetFrame,
  FIN,
  interfaceBlock,
  ipv4Packet,
  ipv6Packet,
  pcapFile,
  SYN,
  sectionHeaderBlock,
  type TcpPacketFields,
} from './pcap/builders.js';

const baseline = readCorpus('synthetic-edge-clienthellos.jsonl').find(
  (row) => row.id === 'synthetic.pcap#baseline-tls13',
);
const hello = Buffer.from(baseline?.record_hex ?? '', 'hex');
const expectedJa4 = baseline?.expected.ja4;
const serverHello = Uint8Array.from([0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00]);

let directory: string;

function writeTemporary(name: string, contents: Uint8Array): string {
  const path = join(directory, name);
  writeFileSync(path, contents);
  return path;
}

/** Ethernet frames of one IPv4 connection: SYN, then `payload` cut at `cuts`, sent in `order`. */
function ipv4Connection(
  sourcePort: number,
  payload: Uint8Array,
  cuts: number[] = [],
  order?: number[],
): Uint8Array[] {
  const isn = 1000;
  const bounds = [0, ...cuts, payload.length];
  const segments = bounds.slice(0, -1).map((start, index) => ({
    sourcePort,
    sequence: isn + 1 + start,
    payload: payload.subarray(start, bounds[index + 1]),
  }));
  const ordered = (order ?? segments.map((_, index) => index)).map((index) => segments[index]);
  const packets: TcpPacketFields[] = [
    { sourcePort, sequence: isn, flags: SYN },
    ...ordered.filter((item) => item !== undefined),
  ];
  return packets.map((fields) => ethernetFrame(0x0800, ipv4Packet(fields)));
}

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'ja4guard-cli-test-'));
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('fingerprint --pcap built captures', () => {
  it('reassembles out-of-order segments', async () => {
    const frames = ipv4Connection(41000, hello, [50, 120], [2, 0, 1]);
    const path = writeTemporary('out-of-order.pcap', pcapFile(frames, { littleEndian: false }));
    const result = await runCli(['fingerprint', '--pcap', path]);
    expect(result.status).toBe(0);
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]?.stream).toBe('10.0.0.1:41000 -> 10.0.0.2:443');
    expect(result.rows[0]?.ja4).toBe(expectedJa4);
  });

  it('reads IPv6 in VLAN frames from pcapng', async () => {
    const source = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
    const destination = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 2]);
    const packets: TcpPacketFields[] = [
      { sourcePort: 41001, sequence: 77, flags: SYN },
      { sourcePort: 41001, sequence: 78 + 100, payload: hello.subarray(100) },
      { sourcePort: 41001, sequence: 78, payload: hello.subarray(0, 100) },
    ];
    const blocks = packets.map((fields) =>
      enhancedPacketBlock(
        0,
        ethernetFrame(0x86dd, ipv6Packet(fields, source, destination), [42]),
        false,
      ),
    );
    const file = concat(sectionHeaderBlock(false), interfaceBlock(1, false), ...blocks);
    const result = await runCli(['fingerprint', '--pcap', writeTemporary('ipv6.pcapng', file)]);
    expect(result.status).toBe(0);
    expect(result.rows[0]?.stream).toBe('[2001:db8::1]:41001 -> [2001:db8::2]:443');
    expect(result.rows[0]?.ja4).toBe(expectedJa4);
  });

  it('skips the server side and plain HTTP', async () => {
    const http = new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n');
    const serverSide: TcpPacketFields[] = [
      {
        source: '10.0.0.2',
        destination: '10.0.0.1',
        sourcePort: 443,
        destinationPort: 41002,
        sequence: 9,
        flags: SYN | ACK,
      },
      {
        source: '10.0.0.2',
        destination: '10.0.0.1',
        sourcePort: 443,
        destinationPort: 41002,
        sequence: 10,
        payload: serverHello,
      },
    ];
    const frames = [
      ...ipv4Connection(41002, hello),
      ...serverSide.map((fields) => ethernetFrame(0x0800, ipv4Packet(fields))),
      ...ipv4Connection(41003, http),
    ];
    const result = await runCli([
      'fingerprint',
      '--pcap',
      writeTemporary('mixed.pcap', pcapFile(frames)),
    ]);
    expect(result.status).toBe(0);
    expect(result.rows.map((row) => row.stream)).toEqual(['10.0.0.1:41002 -> 10.0.0.2:443']);
  });

  it('reports a stream that closes early', async () => {
    const frames = [
      ...ipv4Connection(41004, hello.subarray(0, 60)),
      ethernetFrame(0x0800, ipv4Packet({ sourcePort: 41004, sequence: 1061, flags: FIN | ACK })),
    ];
    const result = await runCli([
      'fingerprint',
      '--pcap',
      writeTemporary('closed.pcap', pcapFile(frames)),
    ]);
    expect(result.status).toBe(1);
    expect(result.rows[0]?.stream).toBe('10.0.0.1:41004 -> 10.0.0.2:443');
    expect(errorOf(result.rows[0]).code).toBe('ERR_STREAM_INCOMPLETE');
    expect(errorOf(result.rows[0]).offset).toBe(60);
  });

  it('reports a gap in a stream', async () => {
    const frames = ipv4Connection(41005, hello, [40, 80], [0, 2]);
    const result = await runCli([
      'fingerprint',
      '--pcap',
      writeTemporary('gap.pcap', pcapFile(frames)),
    ]);
    expect(result.status).toBe(1);
    expect(errorOf(result.rows[0]).code).toBe('ERR_STREAM_GAP');
    expect(errorOf(result.rows[0]).offset).toBe(40);
  });

  it('reports a stream that is not a ClientHello', async () => {
    const frames = ipv4Connection(41006, serverHello);
    const result = await runCli([
      'fingerprint',
      '--pcap',
      writeTemporary('server-hello.pcap', pcapFile(frames)),
    ]);
    expect(result.status).toBe(1);
    expect(errorOf(result.rows[0]).code).toBe('ERR_SERVER_HELLO');
  });

  it('prints complete streams of a truncated capture', async () => {
    const file = pcapFile([...ipv4Connection(41007, hello), ...ipv4Connection(41008, hello)]);
    const path = writeTemporary('truncated.pcap', file.subarray(0, file.length - 10));
    const result = await runCli(['fingerprint', '--pcap', path]);
    expect(result.status).toBe(1);
    expect(result.rows[0]?.ja4).toBe(expectedJa4);
    expect(result.stderr).toMatch(
      /truncated\.pcap: byte \d+: the file ends inside a packet record/,
    );
  });

  it('rejects a file that is not a capture', async () => {
    const path = writeTemporary('text.pcap', new TextEncoder().encode('not a capture at all'));
    const result = await runCli(['fingerprint', '--pcap', path]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('text.pcap: byte 0: not a pcap or pcapng capture');
  });

  it('warns when no stream is TLS', async () => {
    const frames = ipv4Connection(41009, new TextEncoder().encode('hello'));
    const result = await runCli([
      'fingerprint',
      '--pcap',
      writeTemporary('plain.pcap', pcapFile(frames)),
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no TCP stream starts with a TLS handshake record');
  });

  it('warns about skipped fragments', async () => {
    const fragment = ethernetFrame(
      0x0800,
      ipv4Packet({ sourcePort: 41010, payload: hello }, 0x2000),
    );
    const frames = [...ipv4Connection(41011, hello), fragment];
    const result = await runCli([
      'fingerprint',
      '--pcap',
      writeTemporary('fragments.pcap', pcapFile(frames)),
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('skipped 1 IP fragments');
  });
});

describe('fingerprint --file', () => {
  it('prints each ClientHello of a file', async () => {
    const path = writeTemporary('two.bin', concat(hello, hello));
    const result = await runCli(['fingerprint', '--file', path]);
    expect(result.status).toBe(0);
    expect(result.rows.map((row) => row.ja4)).toEqual([expectedJa4, expectedJa4]);
  });

  it('reports a truncated second ClientHello', async () => {
    const path = writeTemporary('cut.bin', concat(hello, hello.subarray(0, 30)));
    const result = await runCli(['fingerprint', '--file', path]);
    expect(result.status).toBe(1);
    expect(result.rows[0]?.ja4).toBe(expectedJa4);
    const error = errorOf(result.rows[1]);
    expect(error.code).toBe('ERR_TRUNCATED');
    expect(Number(error.offset)).toBeGreaterThanOrEqual(hello.length);
  });

  it('reports bytes after a ClientHello', async () => {
    const path = writeTemporary(
      'trailing.bin',
      concat(hello, Uint8Array.from([0x17, 3, 3, 0, 1, 0])),
    );
    const result = await runCli(['fingerprint', '--file', path]);
    expect(result.status).toBe(1);
    expect(result.rows).toHaveLength(2);
    expect(errorOf(result.rows[1]).offset).toBe(hello.length);
  });

  it('reads a bare handshake message', async () => {
    const path = writeTemporary('bare.bin', Buffer.from(baseline?.handshake_hex ?? '', 'hex'));
    const result = await runCli(['fingerprint', '--file', path, '--transport', 'quic']);
    expect(result.status).toBe(0);
    expect(result.rows[0]?.ja4).toBe(`q${expectedJa4?.slice(1)}`);
  });

  it('rejects a capture', async () => {
    const path = writeTemporary('capture.pcap', pcapFile([]));
    const result = await runCli(['fingerprint', '--file', path]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--pcap');
  });
});
