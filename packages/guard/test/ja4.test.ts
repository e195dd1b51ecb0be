import { describe, expect, test } from 'vitest';
import { GuardError } from '../src/errors.js';
import { compileJa4Pattern, isJa4Pattern, normalizeJa4 } from '../src/ja4.js';
import { CHROME_JA4, CURL_JA4 } from './helpers/context.js';

const location = { rule: 'r', option: 'match.ja4' };

function thrown(action: () => unknown): GuardError {
  try {
    action();
  } catch (error) {
    if (error instanceof GuardError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a GuardError');
}

describe('JA4 pattern matching', () => {
  const cases: Array<{ pattern: string; ja4: string; matches: boolean }> = [
    { pattern: 't13d*_8daaf6152771_*', ja4: CHROME_JA4, matches: true },
    { pattern: 't13d*_8daaf6152771_*', ja4: CURL_JA4, matches: false },
    { pattern: 't13d*', ja4: CHROME_JA4, matches: true },
    { pattern: 't1?d*', ja4: CHROME_JA4, matches: true },
    { pattern: 't1?i*', ja4: CHROME_JA4, matches: false },
    { pattern: 't1?i*', ja4: 't13i1516h2_8daaf6152771_e5627efa2ab1', matches: true },
    { pattern: '*', ja4: CHROME_JA4, matches: true },
    { pattern: '*_*_e5627efa2ab1', ja4: CHROME_JA4, matches: true },
    { pattern: '*_*_e5627efa2ab0', ja4: CHROME_JA4, matches: false },
    { pattern: 't13d????h2_*', ja4: CHROME_JA4, matches: true },
    { pattern: 'q13d*', ja4: CHROME_JA4, matches: false },
    { pattern: '*h2_8DAAF6152771_*', ja4: CHROME_JA4, matches: true },
    { pattern: 't13d1516h2_8daaf615277?_e5627efa2ab1', ja4: CHROME_JA4, matches: true },
    { pattern: 't13d1516h2_8daaf6*_e5627efa2ab1', ja4: CHROME_JA4, matches: true },
    // `*` stays within its section, so it cannot swallow an underscore.
    { pattern: 't13d*2ab1', ja4: CHROME_JA4, matches: false },
  ];

  test.each(cases)('$pattern against $ja4 is $matches', ({ pattern, ja4, matches }) => {
    expect(compileJa4Pattern(pattern, location).test(ja4)).toBe(matches);
  });
});

describe('JA4 pattern errors', () => {
  const invalid = [
    't13d*_8daaf6152771_*_extra',
    't13d1516h2x_*',
    't13d15_*',
    't13d???h2_*',
    'T13D!*',
    't13d*__*',
    't13d*_8daaf6152771zz_*',
    't13d*_8daaf615277_*',
    't13d*_xyz*_*',
  ];

  test.each(invalid)('%s is rejected', (pattern) => {
    const error = thrown(() => compileJa4Pattern(pattern, location));
    expect(error.code).toBe('ERR_JA4GUARD_INVALID_JA4');
    expect(error.rule).toBe('r');
    expect(error.option).toBe('match.ja4');
    expect(error.value).toBe(pattern);
  });
});

describe('exact JA4 values', () => {
  test('valid value is kept', () => {
    expect(normalizeJa4(CHROME_JA4, location)).toBe(CHROME_JA4);
  });

  test('hash sections are lowercased', () => {
    expect(normalizeJa4('t13d1516h2_8DAAF6152771_E5627EFA2AB1', location)).toBe(CHROME_JA4);
  });

  test.each([
    't13d1516h2',
    't13d1516h2_8daaf6152771',
    't13d1516h2_8daaf6152771_e5627efa2ab',
    'hello',
  ])('%s is rejected', (value) => {
    const error = thrown(() => normalizeJa4(value, location));
    expect(error.code).toBe('ERR_JA4GUARD_INVALID_JA4');
    expect(error.value).toBe(value);
  });

  test('wildcards mark a pattern', () => {
    expect(isJa4Pattern('t13d*')).toBe(true);
    expect(isJa4Pattern('t1?d1516h2_8daaf6152771_e5627efa2ab1')).toBe(true);
    expect(isJa4Pattern(CHROME_JA4)).toBe(false);
  });
});
