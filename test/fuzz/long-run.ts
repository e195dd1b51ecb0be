// Long fuzz run of the ClientHello parser and fingerprints: `pnpm fuzz`.
//
// Draws up to one million inputs from the generators in arbitraries.ts (random
// bytes, random bytes behind valid headers, well-formed random hellos, and
// truncated or mutated corpus hellos), checks each with the contract in
// property.ts, and prints a summary. Stops after the input count or after 20
// minutes, whichever comes first. Exits 1 on any contract violation.
//
//   pnpm fuzz                       one million inputs, random seed
//   pnpm fuzz --seed 42             replay a run
//   pnpm fuzz --seed 42 --inputs N  replay the first N inputs of that run

import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { type FuzzCase, mixedArbitrary, readCorpusInputs } from './arbitraries.js';
import { checkInput, PropertyViolation } from './property.js';

const DEFAULT_INPUTS = 1_000_000;
const TIME_LIMIT_MS = 20 * 60 * 1000;
const PROGRESS_EVERY = 100_000;
/** Violations printed in full; the rest are only counted. */
const MAX_REPORTED = 20;

interface Violation {
  index: number;
  generator: string;
  message: string;
  inputHex: string;
  options: string;
  stack: string | undefined;
}

function readOptions(): { seed: number; inputs: number } {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      inputs: { type: 'string' },
    },
  });
  const seed =
    values.seed === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(values.seed);
  const inputs = values.inputs === undefined ? DEFAULT_INPUTS : Number(values.inputs);
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`Invalid --seed ${values.seed}: expected an integer.`);
  }
  if (!Number.isSafeInteger(inputs) || inputs < 1 || inputs > DEFAULT_INPUTS) {
    throw new Error(
      `Invalid --inputs ${values.inputs}: expected an integer from 1 to ${DEFAULT_INPUTS}.`,
    );
  }
  return { seed, inputs };
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function printCounts(title: string, counts: Map<string, number>): void {
  console.log(`${title}:`);
  for (const [key, count] of [...counts].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${key.padEnd(30)} ${count}`);
  }
}

function main(): number {
  const { seed, inputs } = readOptions();
  const corpus = readCorpusInputs();
  console.log(
    `fuzz start: seed ${seed}, up to ${inputs} inputs or ${TIME_LIMIT_MS / 60_000} minutes, ${corpus.length} corpus hellos`,
  );

  const started = performance.now();
  const outcomes = new Map<string, number>();
  const generators = new Map<string, number>();
  const violations: Violation[] = [];
  let index = 0;
  let parsed = 0;

  const recordViolation = (item: FuzzCase, message: string, stack?: string) => {
    violations.push({
      index,
      generator: item.generator,
      message,
      inputHex: Buffer.from(item.input).toString('hex'),
      options: JSON.stringify(item.options),
      stack,
    });
  };

  const property = fc.property(mixedArbitrary(corpus), (item) => {
    index++;
    increment(generators, item.generator);
    try {
      const outcome = checkInput(item.input, item.options);
      if (outcome.parsed) {
        parsed++;
        increment(outcomes, 'parsed');
      } else {
        increment(outcomes, outcome.code);
        if (item.generator === 'valid hello') {
          recordViolation(item, `a well-formed hello was rejected with ${outcome.code}`);
        }
      }
    } catch (thrown) {
      // checkInput catches every parse error, so anything here is a violation.
      const message =
        thrown instanceof PropertyViolation
          ? thrown.message
          : `checkInput threw ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)}`;
      const cause = thrown instanceof PropertyViolation ? thrown.thrown : thrown;
      recordViolation(item, message, cause instanceof Error ? cause.stack : undefined);
    }
    if (index % PROGRESS_EVERY === 0) {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`fuzz progress: ${index} inputs, ${violations.length} violations, ${seconds} s`);
    }
    return true;
  });

  const details = fc.check(property, {
    seed,
    numRuns: inputs,
    interruptAfterTimeLimit: TIME_LIMIT_MS,
    markInterruptAsFailure: false,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);

  printCounts('outcomes', outcomes);
  printCounts('inputs by generator', generators);
  for (const violation of violations.slice(0, MAX_REPORTED)) {
    console.log(
      `violation at input ${violation.index} (${violation.generator}): ${violation.message}`,
    );
    console.log(`  options ${violation.options}`);
    console.log(`  input ${violation.inputHex}`);
    console.log(`  replay: pnpm fuzz --seed ${seed} --inputs ${violation.index}`);
    if (violation.stack !== undefined) console.log(violation.stack);
  }
  if (violations.length > MAX_REPORTED) {
    console.log(`${violations.length - MAX_REPORTED} more violations not printed`);
  }
  if (details.interrupted) {
    console.log(`fuzz stopped at the ${TIME_LIMIT_MS / 60_000}-minute limit after ${index} inputs`);
  }

  const errors = index - parsed;
  console.log(
    `fuzz summary: seed ${seed}, ${index} inputs, ${parsed} parsed, ${errors} parse errors, ${violations.length} violations, ${seconds} s`,
  );
  return violations.length === 0 && !details.failed ? 0 : 1;
}

process.exitCode = main();
