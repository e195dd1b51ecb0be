import { describe, expect, it } from 'vitest';
import {
  type CapturedPacket,
  CaptureFormatError,
  CaptureReader,
  detectCaptureFormat,
  readCapture,
} from '../../src/pcap/reader.js';
import {
  bytes,
  concat,
  enhancedPacketBlock,
  interfaceBlock,
  pcapFile,
  pcapngBlock,
  sectionHeaderBlock,
  simplePacketBlock,
  uint32,
} from './builders.js';

const first = bytes(1, 2, 3, 4, 5);
const second = bytes(6, 7, 8, 9, 10, 11, 12);

/** Returns the CaptureFormatError that `action` throws, or fails. */
function captureError(action: () => unknown): CaptureFormatError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(CaptureFormatError);
    return error as CaptureFormatError;
  }
  throw new Error('expected a CaptureFormatError');
}

function dataOf(packets: CapturedPacket[]): number[][] {
  return packets.map((packet) => Array.from(packet.data));
}

describe('classic pcap', () => {
  it.each([
    { name: 'little-endian microseconds', littleEndian: true, nanoseconds: false },
    { name: 'big-endian microseconds', littleEndian: false, nanoseconds: false },
    { name: 'little-endian nanoseconds', littleEndian: true, nanoseconds: true },
    { name: 'big-endian nanoseconds', littleEndian: false, nanoseconds: true },
  ])('reads $name', ({ littleEndian, nanoseconds }) => {
    const file = pcapFile([first, second], { littleEndian, nanoseconds, linkType: 113 });
    expect(detectCaptureFormat(file)).toBe('pcap');
    const packets = readCapture(file, 'test.pcap');
    expect(dataOf(packets)).toEqual([Array.from(first), Array.from(second)]);
    expect(packets.map((packet) => packet.linkType)).toEqual([113, 113]);
    expect(packets.map((packet) => packet.offset)).toEqual([24, 24 + 16 + first.length]);
  });

  it('masks the FCS bits of the link type', () => {
    const file = pcapFile([first], { linkType: 0x14000001 });
    expect(readCapture(file, 'test.pcap')[0]?.linkType).toBe(1);
  });

  it('reads a file pushed one byte at a time', () => {
    const file = pcapFile([first, second]);
    const reader = new CaptureReader('test.pcap');
    const packets: CapturedPacket[] = [];
    for (const value of file) {
      packets.push(...reader.push(bytes(value)));
    }
    reader.end();
    expect(dataOf(packets)).toEqual([Array.from(first), Array.from(second)]);
  });

  it('rejects a truncated record', () => {
    const file = pcapFile([first, second]);
    const error = captureError(() => readCapture(file.subarray(0, file.length - 3), 'cut.pcap'));
    expect(error.code).toBe('truncated');
    expect(error.offset).toBe(24 + 16 + first.length);
    expect(error.message).toContain('cut.pcap');
    expect(error.message).toContain(`byte ${error.offset}`);
  });

  it('rejects a truncated file header', () => {
    const file = pcapFile([]);
    const error = captureError(() => readCapture(file.subarray(0, 10), 'short.pcap'));
    expect(error.code).toBe('unknown_format');
    expect(error.offset).toBe(0);
  });

  it('rejects an empty file', () => {
    const error = captureError(() => readCapture(new Uint8Array(0), 'empty.pcap'));
    expect(error.code).toBe('unknown_format');
  });

  it('rejects a file that is not a capture', () => {
    const error = captureError(() => readCapture(new TextEncoder().encode('hello world'), 'x'));
    expect(error.code).toBe('unknown_format');
    expect(error.message).toContain('0x68656c6c');
  });

  it('rejects an oversized record length', () => {
    const file = pcapFile([first]);
    file.set(uint32(0x7fffffff, true), 24 + 8);
    const error = captureError(() => readCapture(file, 'big.pcap'));
    expect(error.code).toBe('corrupt');
    expect(error.offset).toBe(24);
  });
});

describe('pcapng', () => {
  it.each([
    { name: 'little-endian', littleEndian: true },
    { name: 'big-endian', littleEndian: false },
  ])('reads $name blocks', ({ littleEndian }) => {
    const file = concat(
      sectionHeaderBlock(littleEndian),
      interfaceBlock(1, littleEndian),
      interfaceBlock(101, littleEndian),
      pcapngBlock(0x00000004, bytes(0, 0, 0, 0), littleEndian),
      enhancedPacketBlock(1, first, littleEndian),
      simplePacketBlock(second, littleEndian),
      enhancedPacketBlock(0, second, littleEndian),
    );
    expect(detectCaptureFormat(file)).toBe('pcapng');
    const packets = readCapture(file, 'test.pcapng');
    expect(dataOf(packets)).toEqual([Array.from(first), Array.from(second), Array.from(second)]);
    expect(packets.map((packet) => packet.linkType)).toEqual([101, 1, 1]);
  });

  it('resets interfaces at a new section', () => {
    const file = concat(
      sectionHeaderBlock(true),
      interfaceBlock(1, true),
      enhancedPacketBlock(0, first, true),
      sectionHeaderBlock(false),
      interfaceBlock(229, false),
      enhancedPacketBlock(0, second, false),
    );
    const packets = readCapture(file, 'two-sections.pcapng');
    expect(packets.map((packet) => packet.linkType)).toEqual([1, 229]);
    expect(dataOf(packets)).toEqual([Array.from(first), Array.from(second)]);
  });

  it('cuts simple packets to the snap length', () => {
    const file = concat(
      sectionHeaderBlock(),
      interfaceBlock(1, true, 3),
      simplePacketBlock(second),
    );
    expect(dataOf(readCapture(file, 'snap.pcapng'))).toEqual([[6, 7, 8]]);
  });

  it('rejects an unknown interface id', () => {
    const file = concat(sectionHeaderBlock(), interfaceBlock(1), enhancedPacketBlock(2, first));
    const error = captureError(() => readCapture(file, 'bad.pcapng'));
    expect(error.code).toBe('corrupt');
    expect(error.offset).toBe(28 + 20);
  });

  it('rejects mismatched block lengths', () => {
    const block = enhancedPacketBlock(0, first);
    block.set(uint32(999, true), block.length - 4);
    const file = concat(sectionHeaderBlock(), interfaceBlock(1), block);
    const error = captureError(() => readCapture(file, 'bad.pcapng'));
    expect(error.code).toBe('corrupt');
    expect(error.offset).toBe(48);
  });

  it('rejects a length that is not a multiple of 4', () => {
    const file = concat(sectionHeaderBlock(), interfaceBlock(1));
    file.set(uint32(21, true), 28 + 4);
    const error = captureError(() => readCapture(file, 'bad.pcapng'));
    expect(error.code).toBe('corrupt');
    expect(error.offset).toBe(32);
  });

  it('rejects packet data past the block end', () => {
    const block = enhancedPacketBlock(0, first);
    block.set(uint32(200, true), 8 + 12);
    const file = concat(sectionHeaderBlock(), interfaceBlock(1), block);
    const error = captureError(() => readCapture(file, 'bad.pcapng'));
    expect(error.code).toBe('corrupt');
    expect(error.message).toContain('packet data');
  });

  it('rejects a bad byte-order magic', () => {
    const file = sectionHeaderBlock();
    file.set(uint32(0x12345678), 8);
    const error = captureError(() => readCapture(file, 'bad.pcapng'));
    expect(error.code).toBe('corrupt');
    expect(error.offset).toBe(8);
  });

  it('rejects a truncated block', () => {
    const file = concat(sectionHeaderBlock(), interfaceBlock(1), enhancedPacketBlock(0, first));
    const error = captureError(() => readCapture(file.subarray(0, file.length - 1), 'cut.pcapng'));
    expect(error.code).toBe('truncated');
    expect(error.offset).toBe(48);
    expect(error.message).toContain('cut.pcapng: byte 48');
  });
});

describe('damaged captures', () => {
  const files = {
    pcap: pcapFile([first, second]),
    pcapng: concat(
      sectionHeaderBlock(),
      interfaceBlock(1),
      enhancedPacketBlock(0, first),
      simplePacketBlock(second),
    ),
  };

  /** Reads `file` and fails unless it returns or throws a CaptureFormatError. */
  function expectOnlyCaptureErrors(file: Uint8Array, label: string): void {
    try {
      readCapture(file, 'damaged');
    } catch (error) {
      expect(error, label).toBeInstanceOf(CaptureFormatError);
    }
  }

  it.each(Object.entries(files))('%s truncated anywhere', (_name, file) => {
    for (let length = 0; length < file.length; length += 1) {
      expectOnlyCaptureErrors(file.subarray(0, length), `cut to ${length} bytes`);
    }
  });

  it.each(Object.entries(files))('%s with any byte changed', (_name, file) => {
    for (let index = 0; index < file.length; index += 1) {
      for (const value of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
        const damaged = file.slice();
        damaged[index] = value;
        expectOnlyCaptureErrors(damaged, `byte ${index} set to ${value}`);
      }
    }
  });
});
