import { GuardError, GuardErrorCode } from './errors.js';

/** A parsed IP address. IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) parse as IPv4. */
export type IpAddress =
  | { readonly family: 4; readonly value: number }
  | { readonly family: 6; readonly value: bigint };

/** Rule and option path of a config value, for error messages. */
export interface ValueLocation {
  readonly rule: string | null;
  readonly option: string;
}

const IPV4_OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;
const MAX_IPV6_TEXT_LENGTH = 45;
const IPV4_MAPPED_PREFIX = 0xffffn << 32n;
const IPV4_MAPPED_MASK = ((1n << 96n) - 1n) << 32n;
const ALL_ONES_128 = (1n << 128n) - 1n;

/** Parses dotted-quad IPv4 without leading zeros; returns the 32-bit value or null. */
function parseIpv4(text: string): number | null {
  const octets = text.split('.');
  if (octets.length !== 4) {
    return null;
  }
  let value = 0;
  for (const octet of octets) {
    if (!IPV4_OCTET.test(octet)) {
      return null;
    }
    value = value * 256 + Number(octet);
  }
  return value;
}

/** Converts colon-separated groups to 16-bit numbers; the last group may be dotted IPv4. */
function parseIpv6Groups(parts: readonly string[], allowIpv4Tail: boolean): number[] | null {
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (allowIpv4Tail && i === parts.length - 1 && part.includes('.')) {
      const ipv4 = parseIpv4(part);
      if (ipv4 === null) {
        return null;
      }
      groups.push(Math.floor(ipv4 / 0x10000), ipv4 % 0x10000);
    } else if (IPV6_GROUP.test(part)) {
      groups.push(Number.parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

/** Parses IPv6 text (RFC 4291 section 2.2 forms, no zone id); returns the 128-bit value or null. */
function parseIpv6(text: string): bigint | null {
  if (text.length > MAX_IPV6_TEXT_LENGTH) {
    return null;
  }
  const gap = text.indexOf('::');
  if (gap !== -1 && text.indexOf('::', gap + 1) !== -1) {
    return null;
  }

  let groups: number[] | null;
  if (gap === -1) {
    groups = parseIpv6Groups(text.split(':'), true);
    if (groups === null || groups.length !== 8) {
      return null;
    }
  } else {
    const headText = text.slice(0, gap);
    const tailText = text.slice(gap + 2);
    const head = parseIpv6Groups(headText === '' ? [] : headText.split(':'), false);
    const tail = parseIpv6Groups(tailText === '' ? [] : tailText.split(':'), true);
    if (head === null || tail === null || head.length + tail.length > 7) {
      return null;
    }
    const zeros = new Array<number>(8 - head.length - tail.length).fill(0);
    groups = [...head, ...zeros, ...tail];
  }

  let value = 0n;
  for (const group of groups) {
    value = (value << 16n) | BigInt(group);
  }
  return value;
}

/** Returns the IPv4 value of an IPv4-mapped IPv6 address (`::ffff:0:0/96`), or null. */
function unmapIpv4(value: bigint): number | null {
  return (value & IPV4_MAPPED_MASK) === IPV4_MAPPED_PREFIX ? Number(value & 0xffffffffn) : null;
}

/**
 * Parses an IPv4 or IPv6 address. IPv4-mapped IPv6 addresses come back as
 * IPv4. Returns null for anything else, including zone ids (`fe80::1%eth0`).
 */
export function parseIp(text: string): IpAddress | null {
  if (!text.includes(':')) {
    const ipv4 = parseIpv4(text);
    return ipv4 === null ? null : { family: 4, value: ipv4 };
  }
  const ipv6 = parseIpv6(text);
  if (ipv6 === null) {
    return null;
  }
  const mapped = unmapIpv4(ipv6);
  return mapped === null ? { family: 6, value: ipv6 } : { family: 4, value: mapped };
}

// Keep-alive connections send many requests from one address, so recent
// parses are kept. The cache is cleared when full, which bounds its memory.
const CLIENT_IP_CACHE_SIZE = 4_096;
const clientIpCache = new Map<string, IpAddress | null>();

/**
 * Parses the client address of a request. Unlike {@link parseIp} it drops an
 * IPv6 zone id, because link-local peers carry one.
 */
export function parseClientIp(text: string): IpAddress | null {
  const cached = clientIpCache.get(text);
  if (cached !== undefined) return cached;
  const zone = text.indexOf('%');
  const address = parseIp(zone === -1 ? text : text.slice(0, zone));
  if (clientIpCache.size >= CLIENT_IP_CACHE_SIZE) clientIpCache.clear();
  clientIpCache.set(text, address);
  return address;
}

/** Formats an address in canonical form: dotted IPv4, or RFC 5952 IPv6. */
export function formatIp(address: IpAddress): string {
  if (address.family === 4) {
    const v = address.value;
    return `${Math.floor(v / 0x1000000)}.${Math.floor(v / 0x10000) % 256}.${Math.floor(v / 0x100) % 256}.${v % 256}`;
  }

  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) {
    groups.push(Number((address.value >> shift) & 0xffffn));
  }

  // RFC 5952 section 4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) {
      end++;
    }
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }

  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) {
    return hex.join(':');
  }
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

interface Ipv4Range {
  readonly network: number;
  readonly mask: number;
}

interface Ipv6Range {
  readonly network: bigint;
  readonly mask: bigint;
}

function ipv4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function ipv6Mask(prefix: number): bigint {
  return ALL_ONES_128 ^ ((1n << BigInt(128 - prefix)) - 1n);
}

function invalidIp(location: ValueLocation, value: unknown, hint: string): GuardError {
  return new GuardError(GuardErrorCode.INVALID_IP, 'Invalid IP address or CIDR range', {
    rule: location.rule,
    option: location.option,
    value,
    hint,
  });
}

/**
 * A set of IP addresses and CIDR ranges. Single addresses cost one Set lookup;
 * ranges are tested one by one.
 */
export class IpSet {
  private readonly exact = new Set<number | bigint>();
  private readonly ipv4Ranges: Ipv4Range[] = [];
  private readonly ipv6Ranges: Ipv6Range[] = [];

  /** Tests a parsed client address; null never matches. */
  has(address: IpAddress | null): boolean {
    if (address === null) {
      return false;
    }
    if (this.exact.has(address.value)) {
      return true;
    }
    if (address.family === 4) {
      for (const range of this.ipv4Ranges) {
        if ((address.value & range.mask) >>> 0 === range.network) {
          return true;
        }
      }
      return false;
    }
    for (const range of this.ipv6Ranges) {
      if ((address.value & range.mask) === range.network) {
        return true;
      }
    }
    return false;
  }

  /** Adds an address or a CIDR range, throwing `ERR_JA4GUARD_INVALID_IP` when it is malformed. */
  add(entry: unknown, location: ValueLocation): void {
    if (typeof entry !== 'string' || entry === '') {
      throw invalidIp(location, entry, 'Pass an IP address or a CIDR range as a non-empty string.');
    }
    const slash = entry.indexOf('/');
    if (slash === -1) {
      const address = parseIp(entry);
      if (address === null) {
        throw invalidIp(
          location,
          entry,
          'Use dotted IPv4 (192.0.2.1) or IPv6 (2001:db8::1) without a zone id.',
        );
      }
      this.exact.add(address.value);
      return;
    }
    this.addRange(entry, slash, location);
  }

  private addRange(entry: string, slash: number, location: ValueLocation): void {
    const address = parseIp(entry.slice(0, slash));
    const prefixText = entry.slice(slash + 1);
    if (address === null || !/^\d{1,3}$/.test(prefixText)) {
      throw invalidIp(
        location,
        entry,
        'Write a CIDR range as address/prefix, for example 10.0.0.0/8 or 2001:db8::/32.',
      );
    }

    // A mapped range such as ::ffff:10.0.0.0/104 parses as IPv4, so its prefix drops the 96 mapped bits.
    const writtenAsIpv6 = entry.slice(0, slash).includes(':');
    let prefix = Number(prefixText);
    if (address.family === 4 && writtenAsIpv6) {
      if (prefix < 96) {
        throw invalidIp(location, entry, 'An IPv4-mapped range needs a prefix of 96 to 128.');
      }
      prefix -= 96;
    }

    const maxPrefix = address.family === 4 ? 32 : 128;
    if (prefix > maxPrefix) {
      throw invalidIp(location, entry, `Use a prefix length from 0 to ${maxPrefix}.`);
    }

    if (address.family === 4) {
      const mask = ipv4Mask(prefix);
      const network = (address.value & mask) >>> 0;
      if (network !== address.value) {
        const fixed = `${formatIp({ family: 4, value: network })}/${prefix}`;
        throw invalidIp(
          location,
          entry,
          `The address has host bits set; write the network address, ${fixed}.`,
        );
      }
      this.ipv4Ranges.push({ network, mask });
      return;
    }

    const mask = ipv6Mask(prefix);
    const network = address.value & mask;
    if (network !== address.value) {
      const fixed = `${formatIp({ family: 6, value: network })}/${prefix}`;
      throw invalidIp(
        location,
        entry,
        `The address has host bits set; write the network address, ${fixed}.`,
      );
    }
    this.ipv6Ranges.push({ network, mask });
  }
}
