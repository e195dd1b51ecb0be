import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ByteMutation,
  behindHandshakeHeaderArbitrary,
  behindRecordHeaderArbitrary,
  corpusArbitraries,
  type FuzzCase,
  helloSpecArbitrary,
  mutateByte,
  overwriteField,
  randomBytesArbitrary,
  readCorpusInputs,
  validHelloArbitrary,
} from '../../../test/fuzz/arbitraries.js';
import { checkInput } from '../../../test/fuzz/property.js';
import { fingerprint, ParseErrorCode, parseClientHello } from '../src/index.js';
import { buildHello } from './helpers/build-hello.js';

// Property tests of the parser contract (see test/fuzz/property.ts). fast-check
// picks a new seed on each run and prints it with any counterexample, so a
// failure can be replayed with fc.assert's `seed` and `path` options.
// `pnpm fuzz` runs the same generators for one million inputs.

const NUM_RUNS = 3_000;

/** The sixteen GREASE values of RFC 8701, computed here without the code under test. */
const GREASE = new Set(Array.from({ length: 16 }, (_, i) => i * 0x1010 + 0x0a0a));

/** Formats a JA4 count: two digits, capped at 99. */
function twoDigits(count: number): string {
  return String(Math.min(count, 99)).padStart(2, '0');
}
const corpus = readCorpusInputs();
/** One form per row for the exhaustive mutations: the bare message repeats the bytes of the records. */
const wireForms = corpus.filter((entry) => entry.primary);
const fromCorpus = corpusArbitraries(corpus);

const generators: [string, fc.Arbitrary<FuzzCase>][] = [
  ['random bytes', randomBytesArbitrary],
  ['random bytes behind a record header', behindRecordHeaderArbitrary],
  ['random body behind a handshake header', behindHandshakeHeaderArbitrary],
  ['corpus truncations', fromCorpus.truncation],
  ['corpus byte mutations', fromCorpus.mutation],
  ['corpus length fields', fromCorpus.lengthField],
  ['corpus oversized lengths', fromCorpus.oversized],
  ['corpus multi-byte mutations', fromCorpus.multiMutation],
];

describe('parser fuzz', () => {
  it.each(generators)('%s keep the contract', (_, arbitrary) => {
    fc.assert(
      fc.property(arbitrary, (item) => {
        checkInput(item.input, item.options);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('valid hellos parse back to their fields', () => {
    fc.assert(
      fc.property(helloSpecArbitrary, (spec) => {
        const input = buildHello(spec);
        const hello = parseClientHello(input);
        const extensions = spec.extensions ?? [];

        expect(hello.byteLength).toBe(input.length);
        expect(hello.legacyVersion).toBe(spec.legacyVersion);
        expect([...hello.sessionId]).toEqual([...spec.sessionId!]);
        expect(hello.cipherSuites).toEqual(spec.cipherSuites);
        expect(hello.compressionMethods).toEqual(spec.compressionMethods);
        expect(hello.hasExtensionsBlock).toBe(spec.extensions !== null);
        expect(hello.extensions.map((item) => item.type)).toEqual(
          extensions.map((item) => item.type),
        );
        expect(hello.extensions.map((item) => [...item.data])).toEqual(
          extensions.map((item) => [...item.data]),
        );

        const ja4 = fingerprint(input).ja4;
        const cipherCount = spec.cipherSuites!.filter((value) => !GREASE.has(value)).length;
        const extensionCount = extensions.filter((item) => !GREASE.has(item.type)).length;
        expect(ja4.slice(4, 6)).toBe(twoDigits(cipherCount));
        expect(ja4.slice(6, 8)).toBe(twoDigits(extensionCount));
        expect(ja4[3]).toBe(extensions.some((item) => item.type === 0) ? 'd' : 'i');
      }),
      { numRuns: 1_000 },
    );
  });

  it('valid hellos always parse', () => {
    fc.assert(
      fc.property(validHelloArbitrary, (item) => checkInput(item.input, item.options).parsed),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('parser fuzz over the whole corpus', () => {
  it('has every corpus hello', () => {
    expect(wireForms.length).toBe(168);
    expect(corpus.length).toBe(168 + 139);
  });

  it('rejects every truncation as TRUNCATED', () => {
    const failures: string[] = [];
    for (const entry of corpus) {
      for (let cut = 0; cut < entry.input.length; cut++) {
        const outcome = checkInput(entry.input.subarray(0, cut), { transport: entry.transport });
        if (outcome.parsed || outcome.code !== ParseErrorCode.TRUNCATED) {
          failures.push(`${entry.id} cut ${cut}: ${JSON.stringify(outcome)}`);
        }
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
  });

  it('keeps the contract under every single-byte mutation', () => {
    const mutations: ByteMutation[] = ['flip', 'zero', 'ones'];
    let inputs = 0;
    for (const entry of wireForms) {
      const options = { transport: entry.transport };
      for (let position = 0; position < entry.input.length; position++) {
        for (const mutation of mutations) {
          checkInput(mutateByte(entry.input, position, mutation), options);
          inputs++;
        }
      }
    }
    expect(inputs).toBeGreaterThan(0);
  });

  it('keeps the contract with every 16-bit field rewritten', () => {
    let inputs = 0;
    for (const entry of wireForms) {
      const options = { transport: entry.transport };
      for (let position = 0; position + 1 < entry.input.length; position++) {
        for (const value of [0x0000, 0x00ff, 0xffff]) {
          checkInput(overwriteField(entry.input, position, value, 2), options);
          inputs++;
        }
      }
    }
    expect(inputs).toBeGreaterThan(0);
  });
});
