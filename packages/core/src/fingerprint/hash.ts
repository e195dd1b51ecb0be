import * as crypto from 'node:crypto';

// crypto.hash() (Node 20.12 and later) hashes a string in one call and is
// several times faster than createHash() for short inputs.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string })
  .hash;

/** Returns the hex digest of `text` (UTF-8) with `algorithm`. */
export function hexDigest(algorithm: 'sha256' | 'md5', text: string): string {
  if (oneShot !== undefined) return oneShot(algorithm, text, 'hex');
  return crypto.createHash(algorithm).update(text).digest('hex');
}

/** JA4's truncated hash: the first 12 hex characters of SHA-256, or twelve zeros for an empty list. */
export function ja4Hash(text: string): string {
  return text.length === 0 ? '000000000000' : hexDigest('sha256', text).slice(0, 12);
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) =>
  byte.toString(16).padStart(2, '0'),
);

/** Formats a 16-bit value as four lowercase hex digits, as JA4 lists print them. */
export function hex4(value: number): string {
  return HEX_BYTE[value >> 8]! + HEX_BYTE[value & 0xff]!;
}

/** Joins 16-bit values as comma-separated 4-digit hex. */
export function joinHex4(values: ArrayLike<number>): string {
  let text = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) text += ',';
    text += hex4(values[i]!);
  }
  return text;
}
