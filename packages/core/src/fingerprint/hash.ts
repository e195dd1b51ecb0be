import * as crypto from 'node:crypto';

// crypto.hash() (Node 20.12 and later) hashes in one call and is about
// three times faster than createHash() for inputs of a few hundred bytes.
const oneShot = (
  crypto as {
    hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string;
  }
).hash;

/** Returns the hex digest of `text` (UTF-8) with `algorithm`. */
export function hexDigest(algorithm: 'sha256' | 'md5', text: string): string {
  if (oneShot !== undefined) return oneShot(algorithm, text, 'hex');
  return crypto.createHash(algorithm).update(text).digest('hex');
}

/** JA4's truncated hash: the first 12 hex characters of SHA-256, or twelve zeros for an empty list. */
export function ja4Hash(text: string): string {
  return text.length === 0 ? '000000000000' : hexDigest('sha256', text).slice(0, 12);
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const COMMA = 0x2c;
const UNDERSCORE = 0x5f;

// Lists are written as bytes into this buffer and read back as one flat
// string: several times faster than string concatenation, whose rope strings
// must also be flattened before hashing. Reuse is safe because no caller
// yields between writing and reading.
let scratch = Buffer.allocUnsafe(4_096);

function writeList(values: ArrayLike<number>, count: number, position: number): number {
  const buffer = scratch;
  let at = position;
  for (let i = 0; i < count; i++) {
    if (i > 0) buffer[at++] = COMMA;
    const value = values[i]!;
    buffer[at++] = HEX_DIGITS[(value >> 12) & 0xf]!;
    buffer[at++] = HEX_DIGITS[(value >> 8) & 0xf]!;
    buffer[at++] = HEX_DIGITS[(value >> 4) & 0xf]!;
    buffer[at++] = HEX_DIGITS[value & 0xf]!;
  }
  return at;
}

/** Writes the JA4 list text into `scratch` and returns its length. */
function writeLists(
  values: ArrayLike<number>,
  count: number,
  suffix: ArrayLike<number> | undefined,
): number {
  const size = (count + (suffix?.length ?? 0)) * 5 + 1;
  if (scratch.length < size) scratch = Buffer.allocUnsafe(size);
  let end = writeList(values, count, 0);
  if (suffix !== undefined && suffix.length > 0) {
    scratch[end++] = UNDERSCORE;
    end = writeList(suffix, suffix.length, end);
  }
  return end;
}

/**
 * Joins the first `count` values (default all) as comma-separated 4-digit
 * lowercase hex, and appends `_` and the `suffix` list when that list is
 * given and not empty.
 */
export function joinHex4(
  values: ArrayLike<number>,
  suffix?: ArrayLike<number>,
  count = values.length,
): string {
  return scratch.toString('latin1', 0, writeLists(values, count, suffix));
}

/** Returns the JA4 hash of `joinHex4(values, suffix, count)` without building the string. */
export function hashHex4(
  values: ArrayLike<number>,
  suffix?: ArrayLike<number>,
  count = values.length,
): string {
  const end = writeLists(values, count, suffix);
  if (end === 0) return '000000000000';
  // Hashing the bytes skips building a string from them.
  if (oneShot !== undefined) return oneShot('sha256', scratch.subarray(0, end), 'hex').slice(0, 12);
  return ja4Hash(scratch.toString('latin1', 0, end));
}
