import type { ClientHello, Transport } from '../parser/client-hello.js';
import { ExtensionType, isGrease, ja4VersionCode } from '../tls.js';
import { hashHex4, joinHex4 } from './hash.js';

// JA4 as FoxIO specifies it (technical_details/JA4.md in FoxIO-LLC/ja4,
// BSD 3-Clause): JA4_a is readable, JA4_b hashes the cipher suites and JA4_c
// the extensions and signature algorithms. GREASE values are ignored in every
// list. JA4_r and JA4_ro print the lists instead of hashing them, and JA4_o and
// JA4_ro keep wire order instead of sorting.

/** The values all four JA4 variants are built from, prepared once per hello. */
export interface Ja4Parts {
  /** JA4_a, for example `t13d1516h2`. */
  readonly a: string;
  /** Cipher suites without GREASE, in wire order. */
  readonly cipherSuites: readonly number[];
  /** Extension types without GREASE, in wire order. */
  readonly extensions: readonly number[];
  /** signature_algorithms values without GREASE, in wire order. */
  readonly signatureAlgorithms: readonly number[];
}

const TRANSPORT_CHARACTER: Record<Transport, string> = { tcp: 't', quic: 'q', dtls: 'd' };

function withoutGrease(values: readonly number[] | null): number[] {
  const nonGrease: number[] = [];
  if (values === null) return nonGrease;
  for (const value of values) if (!isGrease(value)) nonGrease.push(value);
  return nonGrease;
}

/** Formats a list length as two digits, capped at 99. */
function countCode(count: number): string {
  if (count > 99) return '99';
  return count < 10 ? `0${count}` : String(count);
}

function isAsciiAlphanumeric(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a)
  );
}

/**
 * Returns the two ALPN characters of JA4_a: the first and last character of
 * the first protocol name when both are ASCII letters or digits, otherwise the
 * first and last hex digit of the whole name (`0xab 0xcd` gives `ad`). A
 * missing extension, an empty list or an empty first name gives `00`.
 */
export function alpnCode(protocols: readonly string[]): string {
  const first = protocols[0];
  if (first === undefined || first.length === 0) return '00';
  const head = first.charCodeAt(0);
  const tail = first.charCodeAt(first.length - 1);
  if (isAsciiAlphanumeric(head) && isAsciiAlphanumeric(tail)) return first[0]! + first.at(-1)!;
  return (head >> 4).toString(16) + (tail & 0x0f).toString(16);
}

/**
 * Picks the version JA4 reports: the highest non-GREASE supported_versions
 * value, or legacy_version when the extension is missing or holds only
 * GREASE. DTLS numbers count down (0xfefc is DTLS 1.3, newer than 0xfefd), so
 * over DTLS the newest version wins instead of the largest number.
 */
export function selectVersion(hello: ClientHello, transport: Transport): number {
  let best = -1;
  let bestRank = -1;
  for (const version of hello.supportedVersions ?? []) {
    if (isGrease(version)) continue;
    const rank =
      transport === 'dtls' && version >> 8 === 0xfe ? 0x10000 + (0xff - (version & 0xff)) : version;
    if (rank > bestRank) {
      best = version;
      bestRank = rank;
    }
  }
  return best === -1 ? hello.legacyVersion : best;
}

/** Collects the JA4 inputs of a parsed hello. */
export function ja4Parts(hello: ClientHello, transport: Transport): Ja4Parts {
  const cipherSuites = withoutGrease(hello.cipherSuites);
  const extensions: number[] = [];
  for (const type of hello.extensionTypes) {
    if (!isGrease(type)) extensions.push(type);
  }
  const a =
    TRANSPORT_CHARACTER[transport] +
    ja4VersionCode(selectVersion(hello, transport)) +
    (hello.hasServerName ? 'd' : 'i') +
    countCode(cipherSuites.length) +
    countCode(extensions.length) +
    alpnCode(hello.alpnProtocols);
  return {
    a,
    cipherSuites,
    extensions,
    signatureAlgorithms: withoutGrease(hello.signatureAlgorithms),
  };
}

/**
 * Returns `values` in ascending order, leaving out SNI and ALPN when
 * `skipSniAlpn` is set (JA4_a already shows them). Lists of up to 32 values,
 * nearly every real hello, use an insertion sort on a plain array, which
 * measured faster than the built-in sorts at that size. Longer lists use the
 * O(n log n) TypedArray sort, so a hostile hello with thousands of values
 * costs no quadratic time.
 */
function sortedList(values: readonly number[], skipSniAlpn: boolean): number[] {
  const list: number[] = [];
  for (const value of values) {
    if (skipSniAlpn && (value === ExtensionType.SERVER_NAME || value === ExtensionType.ALPN)) {
      continue;
    }
    list.push(value);
  }
  const count = list.length;
  if (count > 32) return Array.from(Uint16Array.from(list).sort());
  for (let i = 1; i < count; i++) {
    const value = list[i]!;
    let j = i - 1;
    while (j >= 0 && list[j]! > value) {
      list[j + 1] = list[j]!;
      j--;
    }
    list[j + 1] = value;
  }
  return list;
}

/** JA4: sorted lists, hashed. */
export function ja4(parts: Ja4Parts): string {
  const b = hashHex4(sortedList(parts.cipherSuites, false));
  // No extensions gives twelve zeros, even with signature algorithms, because
  // the specification hashes an empty list as zeros.
  const extensions = sortedList(parts.extensions, true);
  const c =
    extensions.length === 0 ? '000000000000' : hashHex4(extensions, parts.signatureAlgorithms);
  return `${parts.a}_${b}_${c}`;
}

/** JA4_r: sorted lists, printed. */
export function ja4Raw(parts: Ja4Parts): string {
  const ciphers = joinHex4(sortedList(parts.cipherSuites, false));
  const extensions = joinHex4(sortedList(parts.extensions, true), parts.signatureAlgorithms);
  return `${parts.a}_${ciphers}_${extensions}`;
}

/** JA4_o: wire order, SNI and ALPN kept, hashed. */
export function ja4Original(parts: Ja4Parts): string {
  const b = hashHex4(parts.cipherSuites);
  const c =
    parts.extensions.length === 0
      ? '000000000000'
      : hashHex4(parts.extensions, parts.signatureAlgorithms);
  return `${parts.a}_${b}_${c}`;
}

/** JA4_ro: wire order, SNI and ALPN kept, printed. */
export function ja4OriginalRaw(parts: Ja4Parts): string {
  const ciphers = joinHex4(parts.cipherSuites);
  const extensions = joinHex4(parts.extensions, parts.signatureAlgorithms);
  return `${parts.a}_${ciphers}_${extensions}`;
}
