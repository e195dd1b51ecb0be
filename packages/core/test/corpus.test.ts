import { describe, expect, it } from 'vitest';
import { type ExpectedKey, readCorpus } from '../../../test/helpers/corpus.js';
import { fingerprint, parseClientHello } from '../src/index.js';

const rows = readCorpus();
const required = rows.filter((row) => row.optional !== true);
const keys: ExpectedKey[] = ['ja4', 'ja4_r', 'ja4_o', 'ja4_ro', 'ja3', 'ja3_full'];

describe('shared corpus', () => {
  it('holds the documented number of rows', () => {
    expect(rows.length).toBe(168);
    expect(required.length).toBeGreaterThanOrEqual(160);
  });

  describe.each(rows.map((row) => [row.id, row] as const))('%s', (id, row) => {
    const input = Buffer.from(row.record_hex ?? row.handshake_hex, 'hex');
    const expectedKeys = keys.filter((key) => row.expected[key] !== undefined);

    // Optional rows (DTLS) run too: DTLS is supported, so they must match as well.
    it('matches every expected value from the input', () => {
      const result = fingerprint(input, { transport: row.transport });
      for (const key of expectedKeys) {
        expect(result[key], `${id} ${key}`).toBe(row.expected[key]);
      }
    });

    it('matches from the bare handshake message', () => {
      const result = fingerprint(Buffer.from(row.handshake_hex, 'hex'), {
        transport: row.transport,
      });
      for (const key of expectedKeys) {
        expect(result[key], `${id} ${key}`).toBe(row.expected[key]);
      }
    });

    if (row.record_hex !== undefined && row.transport === 'tcp') {
      it('reports the record count of the capture', () => {
        const hello = parseClientHello(input);
        expect(hello.byteLength).toBe(input.length);
        if (row.extraction !== undefined) expect(hello.recordCount).toBe(row.extraction.nrecords);
      });
    }
  });
});
