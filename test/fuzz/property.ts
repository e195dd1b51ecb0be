// The contract that the fuzz test and the long fuzz run check on every input.
// parseClientHello, fingerprint and measureClientHello either return a
// well-formed result, or throw a ClientHelloParseError with a code from the
// closed set and an offset inside the input. Any other outcome is a violation.

import {
  ClientHelloParseError,
  fingerprint,
  isClientHelloParseError,
  measureClientHello,
  ParseErrorCode,
  type ParseOptions,
  parseClientHello,
  type TlsFingerprint,
} from '../../packages/core/src/index.js';

/** JA4 as the specification allows it; the ALPN characters may be any ASCII letter or digit. */
export const JA4_PATTERN =
  /^[tqd](13|12|11|10|s3|s2|d1|d2|d3|00)[di]\d{2}\d{2}[0-9a-zA-Z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/;

const JA3_PATTERN = /^[0-9a-f]{32}$/;
const JA3_STRING_PATTERN = /^\d+,[\d-]*,[\d-]*,[\d-]*,[\d-]*$/;
const CODES: ReadonlySet<string> = new Set(Object.values(ParseErrorCode));

/** Result of one input that kept the contract: parsed, or rejected with a code. */
export type Outcome = { parsed: true } | { parsed: false; code: ParseErrorCode };

/** An input on which the parser or a fingerprint broke its contract. */
export class PropertyViolation extends Error {
  override readonly name = 'PropertyViolation';
  /** What the call threw, when the violation is an unexpected throw. */
  readonly thrown: unknown;

  constructor(message: string, thrown?: unknown) {
    super(message);
    this.thrown = thrown;
  }
}

function describeThrown(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return `non-Error value ${String(value)}`;
}

/** Checks that `thrown` is a parse error with a known code and an offset inside the input. */
function checkParseError(
  call: string,
  thrown: unknown,
  inputLength: number,
): ClientHelloParseError {
  if (!isClientHelloParseError(thrown) || !(thrown instanceof ClientHelloParseError)) {
    throw new PropertyViolation(
      `${call} threw ${describeThrown(thrown)} instead of ClientHelloParseError`,
      thrown,
    );
  }
  if (!CODES.has(thrown.code)) {
    throw new PropertyViolation(`${call} threw unknown code ${String(thrown.code)}`, thrown);
  }
  const offset = thrown.offset;
  if (!Number.isInteger(offset) || offset < 0 || offset > inputLength) {
    throw new PropertyViolation(
      `${call} threw ${thrown.code} with offset ${offset}, outside 0..${inputLength}`,
      thrown,
    );
  }
  if (typeof thrown.field !== 'string' || thrown.field === '') {
    throw new PropertyViolation(`${call} threw ${thrown.code} without a field name`, thrown);
  }
  return thrown;
}

/** Reads every fingerprint getter and checks its format. */
function checkFingerprint(result: TlsFingerprint): void {
  const values = {
    ja4: result.ja4,
    ja4_r: result.ja4_r,
    ja4_o: result.ja4_o,
    ja4_ro: result.ja4_ro,
    ja3: result.ja3,
    ja3_full: result.ja3_full,
  };
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'string') {
      throw new PropertyViolation(`fingerprint ${key} is ${typeof value}, not a string`);
    }
  }
  if (!JA4_PATTERN.test(values.ja4)) {
    throw new PropertyViolation(`ja4 ${JSON.stringify(values.ja4)} does not match the JA4 format`);
  }
  if (!JA4_PATTERN.test(values.ja4_o)) {
    throw new PropertyViolation(
      `ja4_o ${JSON.stringify(values.ja4_o)} does not match the JA4 format`,
    );
  }
  const ja4a = values.ja4.slice(0, 10);
  if (!values.ja4_r.startsWith(`${ja4a}_`) || !values.ja4_ro.startsWith(`${ja4a}_`)) {
    throw new PropertyViolation(
      `ja4_r ${JSON.stringify(values.ja4_r)} or ja4_ro does not start with JA4_a ${ja4a}`,
    );
  }
  if (!JA3_PATTERN.test(values.ja3)) {
    throw new PropertyViolation(`ja3 ${JSON.stringify(values.ja3)} is not 32 hex digits`);
  }
  if (!JA3_STRING_PATTERN.test(values.ja3_full)) {
    throw new PropertyViolation(`ja3_full ${JSON.stringify(values.ja3_full)} is malformed`);
  }
}

/**
 * Runs parseClientHello, fingerprint and measureClientHello on one input and
 * checks the contract and that the three calls agree.
 *
 * @throws {PropertyViolation} on any broken rule; every other error is caught.
 */
export function checkInput(input: Uint8Array, options: ParseOptions = {}): Outcome {
  let parseOutcome: Outcome;
  try {
    parseClientHello(input, options);
    parseOutcome = { parsed: true };
  } catch (thrown) {
    parseOutcome = {
      parsed: false,
      code: checkParseError('parseClientHello', thrown, input.length).code,
    };
  }

  let fingerprintOutcome: Outcome;
  try {
    checkFingerprint(fingerprint(input, options));
    fingerprintOutcome = { parsed: true };
  } catch (thrown) {
    if (thrown instanceof PropertyViolation) throw thrown;
    fingerprintOutcome = {
      parsed: false,
      code: checkParseError('fingerprint', thrown, input.length).code,
    };
  }
  if (
    parseOutcome.parsed !== fingerprintOutcome.parsed ||
    (!parseOutcome.parsed &&
      !fingerprintOutcome.parsed &&
      parseOutcome.code !== fingerprintOutcome.code)
  ) {
    throw new PropertyViolation(
      `parseClientHello and fingerprint disagree: ${JSON.stringify(parseOutcome)} vs ${JSON.stringify(fingerprintOutcome)}`,
    );
  }

  checkMeasure(input, options, parseOutcome);
  return parseOutcome;
}

/**
 * Checks measureClientHello against the parse result. It only reads TLS
 * framing (a bare message is never taken as DTLS), so the comparison is
 * skipped for the dtls transport.
 */
function checkMeasure(input: Uint8Array, options: ParseOptions, parseOutcome: Outcome): void {
  let measured: number;
  try {
    measured = measureClientHello(input, options.maxHelloBytes);
  } catch (thrown) {
    checkParseError('measureClientHello', thrown, input.length);
    return;
  }
  if (!Number.isInteger(measured) || measured < 0 || measured > input.length) {
    throw new PropertyViolation(
      `measureClientHello returned ${measured} for ${input.length} bytes`,
    );
  }
  if (options.transport === 'dtls') return;
  if (measured === 0 && !(!parseOutcome.parsed && parseOutcome.code === ParseErrorCode.TRUNCATED)) {
    throw new PropertyViolation(
      `measureClientHello returned 0, but parseClientHello gave ${JSON.stringify(parseOutcome)}`,
    );
  }
  if (parseOutcome.parsed && options.allowTrailingData !== true && measured !== input.length) {
    throw new PropertyViolation(
      `measureClientHello returned ${measured}, but the whole input of ${input.length} bytes parsed`,
    );
  }
}
