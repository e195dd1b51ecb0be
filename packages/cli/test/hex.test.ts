import { describe, expect, it } from 'vitest';
import { decodeHexLine } from '../src/hex.js';

function decodedBytes(line: string): number[] | undefined {
  const result = decodeHexLine(line);
  return result.ok ? Array.from(result.bytes) : undefined;
}

describe('decodeHexLine', () => {
  it.each([
    { line: '160301', bytes: [0x16, 0x03, 0x01] },
    { line: '  160301\t', bytes: [0x16, 0x03, 0x01] },
    { line: '0x160301', bytes: [0x16, 0x03, 0x01] },
    { line: '0XABcdEF', bytes: [0xab, 0xcd, 0xef] },
    { line: '16:03:01', bytes: [0x16, 0x03, 0x01] },
    { line: '16 03 01', bytes: [0x16, 0x03, 0x01] },
    { line: '1603 0100', bytes: [0x16, 0x03, 0x01, 0x00] },
    { line: '0x 16:03:', bytes: [0x16, 0x03] },
    { line: '', bytes: [] },
  ])('decodes "$line"', ({ line, bytes }) => {
    expect(decodedBytes(line)).toEqual(bytes);
  });

  it.each([
    { line: '16030g', code: 'ERR_INVALID_HEX', offset: 5 },
    { line: '  0x16zz', code: 'ERR_INVALID_HEX', offset: 6 },
    { line: '16-03', code: 'ERR_INVALID_HEX', offset: 2 },
    { line: '1603010', code: 'ERR_ODD_HEX_LENGTH', offset: 0 },
    { line: '16:030:01', code: 'ERR_ODD_HEX_LENGTH', offset: 3 },
    { line: '16 0 01', code: 'ERR_ODD_HEX_LENGTH', offset: 3 },
    { line: '0x1', code: 'ERR_ODD_HEX_LENGTH', offset: 2 },
  ])('rejects "$line"', ({ line, code, offset }) => {
    const result = decodeHexLine(line);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.offset).toBe(offset);
    }
  });
});
