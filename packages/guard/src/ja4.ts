import { GuardError, GuardErrorCode } from './errors.js';
import type { ValueLocation } from './ip.js';

// JA4 is `a_b_c` (FoxIO JA4 specification): `a` is 10 characters (protocol, TLS version,
// SNI flag, cipher count, extension count, ALPN characters), `b` and `c` are 12-character
// truncated SHA-256 hashes in lowercase hex.
const SECTION_A_LENGTH = 10;
const HASH_LENGTH = 12;
const EXACT_JA4 = /^[A-Za-z0-9]{10}_[0-9a-f]{12}_[0-9a-f]{12}$/;
const SECTION_A_PATTERN = /^[A-Za-z0-9?*]+$/;
const HASH_PATTERN = /^[0-9a-f?*]+$/;

/** Returns true when the text contains a wildcard (`*` or `?`) and so is a JA4 pattern. */
export function isJa4Pattern(text: string): boolean {
  return text.includes('*') || text.includes('?');
}

function invalidJa4(location: ValueLocation, value: unknown, hint: string): GuardError {
  return new GuardError(GuardErrorCode.INVALID_JA4, 'Invalid JA4 value or pattern', {
    rule: location.rule,
    option: location.option,
    value,
    hint,
  });
}

/**
 * Checks an exact JA4 and returns it with the hash sections in lowercase.
 * Throws `ERR_JA4GUARD_INVALID_JA4` when it is malformed.
 */
export function normalizeJa4(value: string, location: ValueLocation): string {
  const normalized = lowercaseHashes(value);
  if (!EXACT_JA4.test(normalized)) {
    throw invalidJa4(
      location,
      value,
      'A JA4 has three sections joined by "_": 10 letters or digits, then two 12-character hex hashes, as in t13d1516h2_8daaf6152771_e5627efa2ab1.',
    );
  }
  return normalized;
}

/** Lowercases the hash sections (everything after the first `_`) of a JA4 or JA4 pattern. */
export function lowercaseHashes(value: string): string {
  const first = value.indexOf('_');
  return first === -1 ? value : value.slice(0, first) + value.slice(first).toLowerCase();
}

/** Translates one pattern section: `?` is one character and `*` any run, both within the section. */
function sectionToRegExp(section: string): string {
  let source = '';
  for (const char of section) {
    if (char === '?') {
      source += '[^_]';
    } else if (char === '*') {
      source += source.endsWith('[^_]*') ? '' : '[^_]*';
    } else {
      source += char;
    }
  }
  return source;
}

function checkSection(
  section: string,
  alphabet: RegExp,
  length: number,
  name: string,
  pattern: string,
  location: ValueLocation,
): void {
  if (section === '' || !alphabet.test(section)) {
    const allowed = name === 'a' ? 'letters, digits' : 'lowercase hex digits';
    throw invalidJa4(
      location,
      pattern,
      `Section ${name} of a JA4 pattern may contain only ${allowed}, "?" and "*".`,
    );
  }
  const fixedLength = section.replaceAll('*', '').length;
  const hasStar = section.includes('*');
  if (fixedLength > length || (!hasStar && fixedLength !== length)) {
    throw invalidJa4(
      location,
      pattern,
      `Section ${name} is ${length} characters long; use "?" for one character and "*" for any run.`,
    );
  }
}

/**
 * Compiles a JA4 pattern to an anchored regular expression. A pattern has one
 * to three `_`-separated sections; sections left out match anything, so
 * `t1?i*` means `t1?i*_*_*`. Throws `ERR_JA4GUARD_INVALID_JA4` when malformed.
 */
export function compileJa4Pattern(pattern: string, location: ValueLocation): RegExp {
  const sections = lowercaseHashes(pattern).split('_');
  if (sections.length > 3) {
    throw invalidJa4(
      location,
      pattern,
      'A JA4 pattern has at most three sections separated by "_".',
    );
  }

  const [a = '*', b = '*', c = '*'] = sections;
  checkSection(a, SECTION_A_PATTERN, SECTION_A_LENGTH, 'a', pattern, location);
  checkSection(b, HASH_PATTERN, HASH_LENGTH, 'b', pattern, location);
  checkSection(c, HASH_PATTERN, HASH_LENGTH, 'c', pattern, location);

  return new RegExp(`^${sectionToRegExp(a)}_${sectionToRegExp(b)}_${sectionToRegExp(c)}$`);
}
