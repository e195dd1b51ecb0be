import { BlockList, isIP, type Socket } from 'node:net';
import type { TlsFingerprint } from '../fingerprint/fingerprint.js';
import type { ClientHello } from '../parser/client-hello.js';
import { CaptureOptionError } from './errors.js';

/** Verdict of an `onClientHello` hook: go on to the TLS handshake, or close the TCP connection. */
export type ClientHelloVerdict = 'accept' | 'drop';

/** Input of an `onClientHello` hook, before the TLS handshake starts. */
export interface ClientHelloEvent {
  readonly fingerprint: TlsFingerprint;
  /** The parsed hello, only with `keepClientHello`. */
  readonly clientHello: ClientHello | null;
  /** Client address as the socket reports it. */
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/** Options of {@link attach} and {@link createServer}. */
export interface CaptureOptions {
  /** Time a client has to send its whole ClientHello, in milliseconds. Default 10,000. */
  helloTimeoutMs?: number;
  /** Cap on the bytes of one ClientHello, record headers included. Default 65,536. */
  maxHelloBytes?: number;
  /** Close connections whose hello is complete but malformed, instead of handing them to Node's TLS. Default false. */
  dropMalformed?: boolean;
  /** Close connections whose first bytes are not TLS, instead of handing them to Node's TLS. Default false. */
  dropNotTls?: boolean;
  /** Keep the parsed ClientHello in the capture result. It contains views into the hello bytes. Default false. */
  keepClientHello?: boolean;
  /**
   * Decides on each fingerprinted connection before the TLS handshake. Return
   * 'drop' to close it, which costs far less than a handshake. May return a
   * promise; one that is not settled within `hookTimeoutMs`, rejects or throws
   * counts as 'hook-failed' and the connection is accepted.
   */
  onClientHello?: (
    event: ClientHelloEvent,
    socket: Socket,
  ) => ClientHelloVerdict | Promise<ClientHelloVerdict>;
  /** Time `onClientHello` has to settle, in milliseconds. Default 100. */
  hookTimeoutMs?: number;
  /**
   * Reads a PROXY protocol header (v1 or v2) before the ClientHello on
   * connections from `trustedSources`, and takes the client address from it.
   * Off by default.
   */
  proxyProtocol?: ProxyProtocolOptions;
}

/** PROXY protocol settings of a capture. */
export interface ProxyProtocolOptions {
  /**
   * Addresses or CIDR ranges (`10.0.0.0/8`, `fd00::/8`) of the load balancers
   * that send PROXY headers. A connection from one of them without a valid
   * header is closed. A connection from any other address is read as direct
   * TLS, and closed if it starts with a PROXY header, which it may not send.
   */
  trustedSources: readonly string[];
}

export interface ResolvedCaptureOptions {
  helloTimeoutMs: number;
  maxHelloBytes: number;
  dropMalformed: boolean;
  dropNotTls: boolean;
  keepClientHello: boolean;
  onClientHello: CaptureOptions['onClientHello'] | undefined;
  hookTimeoutMs: number;
  /** Balancers allowed to send PROXY headers, or null when the option is off. */
  proxySources: BlockList | null;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new CaptureOptionError(name, value, 'a positive integer');
  }
  return value;
}

export function resolveOptions(options: CaptureOptions | undefined): ResolvedCaptureOptions {
  const hook = options?.onClientHello;
  if (hook !== undefined && typeof hook !== 'function') {
    throw new CaptureOptionError('onClientHello', hook, 'a function');
  }
  return {
    helloTimeoutMs: positiveInteger('helloTimeoutMs', options?.helloTimeoutMs, 10_000),
    // 16 bytes is the smallest cap that still fits a record header and a handshake header.
    maxHelloBytes: Math.max(16, positiveInteger('maxHelloBytes', options?.maxHelloBytes, 65_536)),
    dropMalformed: options?.dropMalformed === true,
    dropNotTls: options?.dropNotTls === true,
    keepClientHello: options?.keepClientHello === true,
    onClientHello: hook,
    hookTimeoutMs: positiveInteger('hookTimeoutMs', options?.hookTimeoutMs, 100),
    proxySources: resolveProxySources(options?.proxyProtocol),
  };
}

function resolveProxySources(options: ProxyProtocolOptions | undefined): BlockList | null {
  if (options === undefined) return null;
  const sources = options.trustedSources;
  if (!Array.isArray(sources) || sources.length === 0) {
    throw new CaptureOptionError(
      'proxyProtocol.trustedSources',
      sources,
      'a non-empty list of addresses or CIDR ranges of your load balancers',
    );
  }
  const list = new BlockList();
  for (const source of sources) {
    const [address = '', prefixText, extra] = String(source).split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
    if (
      family === 0 ||
      extra !== undefined ||
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > maxPrefix ||
      (prefixText !== undefined && !/^\d+$/.test(prefixText))
    ) {
      throw new CaptureOptionError(
        'proxyProtocol.trustedSources',
        source,
        'an IPv4 or IPv6 address, optionally with a /prefix length (for example 10.0.0.0/8)',
      );
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** Tells whether `address`, as a socket reports it, is in `list`. IPv4-mapped IPv6 is checked as IPv4. */
export function isTrustedSource(list: BlockList, address: string | undefined): boolean {
  if (address === undefined) return false;
  const mapped = address.startsWith('::ffff:') ? address.slice(7) : address;
  const family = isIP(mapped);
  if (family === 0) return false;
  return list.check(mapped, family === 6 ? 'ipv6' : 'ipv4');
}
