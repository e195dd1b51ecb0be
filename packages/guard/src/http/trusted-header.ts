import type { TlsFingerprint } from '@ja4guard/core';
import { describeValue, GuardError, GuardErrorCode } from '../errors.js';
import type { GuardFingerprint } from '../fingerprint.js';
import { IpSet, parseClientIp } from '../ip.js';
import type { GuardLogger } from '../types.js';

/** Default of `warnIntervalMs`. */
export const DEFAULT_HEADER_WARN_INTERVAL_MS = 60_000;

/**
 * A JA4 as FoxIO's JA4 specification defines it: protocol (`t` TCP, `q` QUIC,
 * `d` DTLS), TLS version, SNI flag (`d` domain, `i` IP), two-digit cipher
 * and extension counts, two ALPN characters, then two 12-character lowercase
 * hex hashes. Stricter than the rule syntax, because the value comes from the
 * network.
 */
const JA4_FORMAT =
  /^[tqd](?:13|12|11|10|s3|s2|d1|d2|d3|00)[di]\d{4}[0-9a-zA-Z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/;
// RFC 9110 section 5.6.2 token characters.
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Proxies and CDNs whose JA4 header has a known name. */
export type HeaderPreset = 'haproxy' | 'nginx' | 'cloudflare' | 'cloudfront';

/**
 * Header names of the presets. CloudFront adds its header when an origin
 * request policy includes it. Cloudflare, HAProxy and nginx have no header of
 * their own: these are the names this project's docs configure them to set
 * (a Cloudflare request header transform rule, HAProxy `http-request
 * set-header`, nginx `proxy_set_header`).
 */
export const HEADER_PRESETS: Readonly<Record<HeaderPreset, string>> = Object.freeze({
  haproxy: 'x-ja4',
  nginx: 'x-ja4',
  cloudflare: 'cf-ja4',
  cloudfront: 'cloudfront-viewer-ja4-fingerprint',
});

/** A fingerprint taken from the request's own TLS connection by `@ja4guard/core`. */
export type SocketFingerprint = TlsFingerprint & { readonly source: 'socket' };

/**
 * A JA4 read from a header set by a trusted proxy that ended TLS. Only the JA4
 * travels in the header, so the other fingerprint fields are null or empty.
 */
export interface HeaderFingerprint {
  readonly source: 'header';
  /** Lowercase name of the header the JA4 came from. */
  readonly header: string;
  readonly ja4: string;
  readonly ja4_r: null;
  readonly ja4_o: null;
  readonly ja4_ro: null;
  readonly ja3: null;
  readonly ja3_full: null;
  readonly serverName: null;
  /** Always empty. */
  readonly alpnProtocols: readonly string[];
  /** Always empty. */
  readonly tlsVersions: readonly number[];
}

/** The fingerprint of a request: from its own TLS connection, or from a trusted proxy's header. */
export type RequestFingerprint = SocketFingerprint | HeaderFingerprint;

/** Reason a fingerprint header was ignored. */
export type HeaderRejection = 'untrusted-peer' | 'invalid-format';

/** Result of {@link HeaderSource.resolve}. */
export interface HeaderResolution {
  /** The fingerprint to use for the request, or null when there is none. */
  readonly fingerprint: RequestFingerprint | null;
  /** Origin of `fingerprint`; null when it is null. */
  readonly source: 'socket' | 'header' | null;
  /** Set when the request carried the header and it was ignored. */
  readonly rejected?: HeaderRejection;
}

/** The request fields that {@link HeaderSource.resolve} reads. */
export interface HeaderRequest {
  /**
   * Address of the TCP peer: `request.socket.remoteAddress`, never a
   * forwarded-for header. When `@ja4guard/core` reads a PROXY protocol header,
   * this is the client address from it, so a header sent through a TLS
   * passthrough balancer is not trusted.
   */
  readonly peerAddress: string | undefined;
  /** Request headers with lowercase names, as Node's `IncomingHttpHeaders`. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Counters of a header source since it was created. */
export interface HeaderSourceStats {
  /** Requests whose fingerprint came from the header. */
  readonly accepted: number;
  /** Headers ignored because the peer is not in `trustedProxies`. */
  readonly rejectedUntrusted: number;
  /** Headers from a trusted proxy ignored because the value is not a JA4. */
  readonly rejectedInvalid: number;
  /** Requests from a trusted proxy without the header; they have no fingerprint. */
  readonly missingFromTrusted: number;
}

/** Options of {@link createHeaderSource}. */
export interface HeaderSourceOptions {
  /** Name of the header that carries the JA4, any case. Default: the preset's header; one of the two is required. */
  readonly header?: string;
  /** Takes the header name from a known proxy or CDN; see {@link HEADER_PRESETS}. */
  readonly preset?: HeaderPreset;
  /**
   * Addresses and CIDR ranges of the proxies that end TLS and set the header,
   * IPv4 or IPv6 (`10.0.0.0/8`, `fd00::/8`). Required and non-empty: a header
   * from any other peer is ignored, because any client can send it.
   */
  readonly trustedProxies: readonly string[];
  /** Receives the warning about headers from untrusted peers or with invalid values. Default: no logging. */
  readonly logger?: Pick<GuardLogger, 'warn'>;
  /** Minimum milliseconds between two warnings of the same kind. Default 60000. */
  readonly warnIntervalMs?: number;
}

/** Reads the JA4 from a trusted proxy's header; see {@link createHeaderSource}. */
export interface HeaderSource {
  /** Lowercase name of the header read. */
  readonly header: string;
  /**
   * Picks the fingerprint of one request. A header from a trusted peer wins
   * over the socket fingerprint, because the TLS connection then belongs to
   * the proxy. For the same reason, a trusted peer without a valid header
   * gives no fingerprint at all. A header from any other peer is ignored, and
   * the socket fingerprint is used.
   */
  resolve(request: HeaderRequest, socketFingerprint: TlsFingerprint | null): HeaderResolution;
  /** Returns the counters. */
  stats(): HeaderSourceStats;
}

const OPTION_KEYS: ReadonlySet<string> = new Set([
  'header',
  'preset',
  'trustedProxies',
  'logger',
  'warnIntervalMs',
]);
const NO_FINGERPRINT: HeaderResolution = Object.freeze({ fingerprint: null, source: null });
const NO_ALPN: readonly string[] = Object.freeze([]);
const NO_VERSIONS: readonly number[] = Object.freeze([]);

function invalidOption(option: string, value: unknown, hint: string): GuardError {
  return new GuardError(GuardErrorCode.INVALID_OPTION, 'Invalid header source option', {
    option,
    value,
    hint,
  });
}

function readHeaderName(options: HeaderSourceOptions): string {
  const { header, preset } = options;
  if (preset !== undefined && !Object.hasOwn(HEADER_PRESETS, preset)) {
    throw invalidOption(
      'preset',
      preset,
      `Use one of ${Object.keys(HEADER_PRESETS).join(', ')}, or set header instead.`,
    );
  }
  if (header === undefined) {
    if (preset === undefined) {
      throw invalidOption(
        'header',
        header,
        "Name the header that carries the JA4, or set a preset such as 'cloudfront'.",
      );
    }
    return HEADER_PRESETS[preset];
  }
  if (typeof header !== 'string' || !HTTP_TOKEN.test(header)) {
    throw invalidOption('header', header, 'Pass a header name such as "x-ja4".');
  }
  return header.toLowerCase();
}

function readTrustedProxies(value: unknown): IpSet {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidOption(
      'trustedProxies',
      value,
      'List the addresses or CIDR ranges of the proxies that set the header, such as ["10.0.0.0/8"].',
    );
  }
  const set = new IpSet();
  value.forEach((entry: unknown, index) => {
    set.add(entry, { rule: null, option: `trustedProxies[${index}]` });
  });
  return set;
}

function readWarnInterval(value: unknown): number {
  if (value === undefined) {
    return DEFAULT_HEADER_WARN_INTERVAL_MS;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidOption('warnIntervalMs', value, 'Pass a number of milliseconds, at least 0.');
  }
  return value;
}

function readLogger(value: unknown): Pick<GuardLogger, 'warn'> | null {
  if (value === undefined) {
    return null;
  }
  if (typeof (value as { warn?: unknown } | null)?.warn !== 'function') {
    throw invalidOption('logger', value, 'Pass a pino-style logger with a warn method.');
  }
  return value as Pick<GuardLogger, 'warn'>;
}

/** Returns the single header value, or null when the header is absent; a repeated header is returned joined so it fails the format check. */
function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) {
    return null;
  }
  if (typeof value === 'string') {
    return value;
  }
  return value.length === 1 ? (value[0] as string) : value.join(', ');
}

function headerFingerprint(header: string, ja4: string): HeaderFingerprint {
  return {
    source: 'header',
    header,
    ja4,
    ja4_r: null,
    ja4_o: null,
    ja4_ro: null,
    ja3: null,
    ja3_full: null,
    serverName: null,
    alpnProtocols: NO_ALPN,
    tlsVersions: NO_VERSIONS,
  };
}

/** Suppresses repeats of one warning until an interval has passed, and counts the suppressed ones. */
class WarningThrottle {
  private lastAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(private readonly intervalMs: number) {}

  /** Returns the number of warnings suppressed since the last one, or -1 when this one is suppressed too. */
  take(now: number): number {
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return -1;
    }
    const suppressed = this.suppressed;
    this.lastAt = now;
    this.suppressed = 0;
    return suppressed;
  }
}

class TrustedHeaderSource implements HeaderSource {
  private accepted = 0;
  private rejectedUntrusted = 0;
  private rejectedInvalid = 0;
  private missingFromTrusted = 0;
  private readonly untrustedWarnings: WarningThrottle;
  private readonly invalidWarnings: WarningThrottle;

  constructor(
    readonly header: string,
    private readonly trusted: IpSet,
    private readonly logger: Pick<GuardLogger, 'warn'> | null,
    warnIntervalMs: number,
  ) {
    this.untrustedWarnings = new WarningThrottle(warnIntervalMs);
    this.invalidWarnings = new WarningThrottle(warnIntervalMs);
  }

  resolve(request: HeaderRequest, socketFingerprint: TlsFingerprint | null): HeaderResolution {
    const value = headerValue(request.headers[this.header]);
    const peer = request.peerAddress;
    const trusted = peer !== undefined && this.trusted.has(parseClientIp(peer));

    if (!trusted) {
      const socket = fromSocket(socketFingerprint);
      if (value === null) {
        return socket;
      }
      this.rejectedUntrusted++;
      this.warnUntrusted(peer);
      return { ...socket, rejected: 'untrusted-peer' };
    }

    if (value === null) {
      this.missingFromTrusted++;
      return NO_FINGERPRINT;
    }
    if (!JA4_FORMAT.test(value)) {
      this.rejectedInvalid++;
      this.warnInvalid(peer, value);
      return { fingerprint: null, source: null, rejected: 'invalid-format' };
    }
    this.accepted++;
    return { fingerprint: headerFingerprint(this.header, value), source: 'header' };
  }

  stats(): HeaderSourceStats {
    return {
      accepted: this.accepted,
      rejectedUntrusted: this.rejectedUntrusted,
      rejectedInvalid: this.rejectedInvalid,
      missingFromTrusted: this.missingFromTrusted,
    };
  }

  private warnUntrusted(peer: string | undefined): void {
    if (this.logger === null) {
      return;
    }
    const suppressed = this.untrustedWarnings.take(Date.now());
    if (suppressed < 0) {
      return;
    }
    this.logger.warn(
      {
        header: this.header,
        peer: peer ?? null,
        suppressed,
        rejectedUntrusted: this.rejectedUntrusted,
      },
      `Ignored the ${this.header} header from ${peer ?? 'an unknown peer'}, which is not in trustedProxies; ` +
        'if this peer is your proxy or CDN, add its address or range to trustedProxies',
    );
  }

  private warnInvalid(peer: string, value: string): void {
    if (this.logger === null) {
      return;
    }
    const suppressed = this.invalidWarnings.take(Date.now());
    if (suppressed < 0) {
      return;
    }
    this.logger.warn(
      {
        header: this.header,
        peer,
        value: describeValue(value),
        suppressed,
        rejectedInvalid: this.rejectedInvalid,
      },
      `Ignored the ${this.header} header from trusted proxy ${peer} because its value is not a JA4; ` +
        'configure the proxy to send the JA4 string, such as t13d1516h2_8daaf6152771_e5627efa2ab1',
    );
  }
}

function fromSocket(fingerprint: TlsFingerprint | null): HeaderResolution {
  if (fingerprint === null) {
    return NO_FINGERPRINT;
  }
  return { fingerprint: fingerprint as SocketFingerprint, source: 'socket' };
}

/**
 * Creates a source of fingerprints for servers behind a proxy or CDN that
 * ends TLS and forwards the client's JA4 in a request header. The header is
 * read only from peers in `trustedProxies`, and only when its value is a
 * well-formed JA4; anything else is ignored and counted. Throws
 * `ERR_JA4GUARD_INVALID_OPTION` or `ERR_JA4GUARD_INVALID_IP` for bad options.
 */
export function createHeaderSource(options: HeaderSourceOptions): HeaderSource {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption('options', options, 'Pass { header or preset, trustedProxies }.');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw invalidOption(key, key, `Unknown option; use one of ${[...OPTION_KEYS].join(', ')}.`);
    }
  }
  return new TrustedHeaderSource(
    readHeaderName(options),
    readTrustedProxies(options.trustedProxies),
    readLogger(options.logger),
    readWarnInterval(options.warnIntervalMs),
  );
}

/**
 * Returns the fields of a request fingerprint that the guard's rules read.
 * A header fingerprint has only its JA4, so JA3, SNI and ALPN conditions never
 * match it.
 */
export function toGuardFingerprint(
  fingerprint: RequestFingerprint | null,
): GuardFingerprint | null {
  if (fingerprint === null || fingerprint.source === 'socket') {
    return fingerprint;
  }
  // NOTE: GuardFingerprint.ja3 is a string, so the unknown JA3 becomes '', which no JA3 condition accepts.
  return { ja4: fingerprint.ja4, ja3: '', serverName: null, alpnProtocols: NO_ALPN };
}
