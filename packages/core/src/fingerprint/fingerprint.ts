import {
  type ClientHello,
  type ParseOptions,
  parseClientHello,
  type Transport,
} from '../parser/client-hello.js';
import { isGrease } from '../tls.js';
import { hexDigest } from './hash.js';
import { ja3String } from './ja3.js';
import { type Ja4Parts, ja4, ja4Original, ja4OriginalRaw, ja4Parts, ja4Raw } from './ja4.js';

/** Origin of a fingerprint: the server's own socket, or a header set by a trusted proxy. */
export type FingerprintSource = 'socket' | 'header';

/** The fingerprints of one ClientHello and the values rules key on. */
export interface TlsFingerprint {
  /** JA4, for example `t13d1516h2_8daaf6152771_e5627efa2ab1`. */
  readonly ja4: string;
  /** JA4_r: JA4 with the sorted lists printed instead of hashed. */
  readonly ja4_r: string;
  /** JA4_o: JA4 with the lists in wire order. */
  readonly ja4_o: string;
  /** JA4_ro: JA4_o with the lists printed. */
  readonly ja4_ro: string;
  /** JA3: MD5 of `ja3_full`, 32 hex characters. */
  readonly ja3: string;
  /** The JA3 string. */
  readonly ja3_full: string;
  /** SNI host name, or null. */
  readonly serverName: string | null;
  /** ALPN protocol names offered, in order. */
  readonly alpnProtocols: readonly string[];
  /** Protocol versions offered: supported_versions without GREASE, or legacy_version alone. */
  readonly tlsVersions: readonly number[];
  readonly source: FingerprintSource;
}

/** Options of {@link fingerprintClientHello}. */
export interface FingerprintOptions {
  /** Transport the hello came over: the first JA4 character. Default `tcp`. */
  transport?: Transport;
}

/**
 * Fingerprints of one parsed ClientHello. JA4 is computed at construction,
 * because rules need it at once; the other values on first access. The object
 * keeps only the lists it needs, not the input buffer.
 */
class ClientHelloFingerprint implements TlsFingerprint {
  readonly ja4: string;
  readonly serverName: string | null;
  readonly alpnProtocols: readonly string[];
  readonly source: FingerprintSource = 'socket';
  readonly #parts: Ja4Parts;
  readonly #legacyVersion: number;
  readonly #supportedGroups: readonly number[] | null;
  readonly #ecPointFormats: readonly number[] | null;
  readonly #supportedVersions: readonly number[] | null;
  #tlsVersions: readonly number[] | undefined;
  #ja3Full: string | undefined;
  #ja4Raw: string | undefined;
  #ja4Original: string | undefined;
  #ja4OriginalRaw: string | undefined;
  #ja3: string | undefined;

  constructor(hello: ClientHello, transport: Transport) {
    this.#parts = ja4Parts(hello, transport);
    this.ja4 = ja4(this.#parts);
    this.serverName = hello.serverName;
    this.alpnProtocols = hello.alpnProtocols;
    this.#supportedVersions = hello.supportedVersions;
    this.#legacyVersion = hello.legacyVersion;
    this.#supportedGroups = hello.supportedGroups;
    this.#ecPointFormats = hello.ecPointFormats;
  }

  get tlsVersions(): readonly number[] {
    this.#tlsVersions ??= offeredVersions(this.#supportedVersions, this.#legacyVersion);
    return this.#tlsVersions;
  }

  get ja4_r(): string {
    this.#ja4Raw ??= ja4Raw(this.#parts);
    return this.#ja4Raw;
  }

  get ja4_o(): string {
    this.#ja4Original ??= ja4Original(this.#parts);
    return this.#ja4Original;
  }

  get ja4_ro(): string {
    this.#ja4OriginalRaw ??= ja4OriginalRaw(this.#parts);
    return this.#ja4OriginalRaw;
  }

  get ja3(): string {
    this.#ja3 ??= hexDigest('md5', this.ja3_full);
    return this.#ja3;
  }

  get ja3_full(): string {
    // The JA4 parts already hold the cipher suites and extension types without GREASE.
    this.#ja3Full ??= ja3String({
      legacyVersion: this.#legacyVersion,
      cipherSuites: this.#parts.cipherSuites,
      extensionTypes: this.#parts.extensions,
      supportedGroups: this.#supportedGroups,
      ecPointFormats: this.#ecPointFormats,
    });
    return this.#ja3Full;
  }

  toJSON() {
    return {
      ja4: this.ja4,
      ja4_r: this.ja4_r,
      ja4_o: this.ja4_o,
      ja4_ro: this.ja4_ro,
      ja3: this.ja3,
      ja3_full: this.ja3_full,
      serverName: this.serverName,
      alpnProtocols: this.alpnProtocols,
      tlsVersions: this.tlsVersions,
      source: this.source,
    };
  }
}

function offeredVersions(
  supportedVersions: readonly number[] | null,
  legacyVersion: number,
): number[] {
  const versions: number[] = [];
  for (const version of supportedVersions ?? []) {
    if (!isGrease(version)) versions.push(version);
  }
  if (versions.length === 0) versions.push(legacyVersion);
  return versions;
}

/** Computes the fingerprints of a parsed ClientHello. */
export function fingerprintClientHello(
  hello: ClientHello,
  options?: FingerprintOptions,
): TlsFingerprint {
  return new ClientHelloFingerprint(hello, options?.transport ?? 'tcp');
}

/**
 * Parses one ClientHello and computes its fingerprints.
 *
 * @throws {ClientHelloParseError} when the input is not a well-formed ClientHello.
 */
export function fingerprint(input: Uint8Array, options?: ParseOptions): TlsFingerprint {
  return new ClientHelloFingerprint(parseClientHello(input, options), options?.transport ?? 'tcp');
}
