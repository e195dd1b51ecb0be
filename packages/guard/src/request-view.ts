import type { BlocklistSubject } from './blocklist.js';
import { formatIp, type IpAddress, parseClientIp } from './ip.js';
import type { GuardContext } from './types.js';

/** JA4 used in keys and bans when a request has no fingerprint. */
export const MISSING_JA4 = 'none';

/**
 * One request as the rules read it. Derived values (parsed IP, canonical IP,
 * lowercase User-Agent) are computed on first use and kept for later rules.
 */
export class RequestView implements BlocklistSubject {
  private parsedAddress: IpAddress | null | undefined;
  private canonicalIp: string | undefined;
  private lowerUserAgentValue: string | null | undefined;

  constructor(readonly context: GuardContext) {}

  /** The JA4, or `none` without a fingerprint. */
  get ja4(): string {
    return this.context.fingerprint?.ja4 ?? MISSING_JA4;
  }

  /** Parsed client address; null when `context.ip` is not an IP address. */
  get address(): IpAddress | null {
    if (this.parsedAddress === undefined) {
      this.parsedAddress = parseClientIp(this.context.ip);
    }
    return this.parsedAddress;
  }

  /** Client IP in canonical form (IPv4-mapped as IPv4); the text as given when it does not parse. */
  get clientIp(): string {
    if (this.canonicalIp === undefined) {
      const address = this.address;
      this.canonicalIp = address === null ? this.context.ip : formatIp(address);
    }
    return this.canonicalIp;
  }

  /** The User-Agent header (the first one when repeated), or null. */
  get userAgent(): string | null {
    const header = this.context.headers['user-agent'];
    if (typeof header === 'string') {
      return header;
    }
    return Array.isArray(header) && typeof header[0] === 'string' ? header[0] : null;
  }

  /** The User-Agent header in lowercase, or null. */
  get lowerUserAgent(): string | null {
    if (this.lowerUserAgentValue === undefined) {
      this.lowerUserAgentValue = this.userAgent?.toLowerCase() ?? null;
    }
    return this.lowerUserAgentValue;
  }
}
