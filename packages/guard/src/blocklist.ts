import { GuardError, GuardErrorCode } from './errors.js';
import { formatIp, parseIp } from './ip.js';
import { compileJa4Pattern, isJa4Pattern, lowercaseHashes, normalizeJa4 } from './ja4.js';

/**
 * A blocklist value: an exact JA4, a JA4 pattern (with `*` or `?`), or a JA4
 * with one client IP. The pair can be written as `{ ja4, ip }` or as the
 * string `'<ja4>|<ip>'`; both are stored as the string form.
 */
export type BlocklistValue = string | { readonly ja4: string; readonly ip: string };

/** Kind of a blocklist entry. */
export type BlocklistEntryKind = 'ja4' | 'pattern' | 'ja4+ip';

/** Options of `blocklist.add`. */
export interface BlocklistAddOptions {
  /** Seconds until the entry expires on every instance. Default: never. */
  readonly ttlSeconds?: number;
  /** Free text kept with the entry and returned by `list()`. Default: null. */
  readonly reason?: string;
}

/** One blocklist entry as returned by `list()`. */
export interface BlocklistEntry {
  /** Canonical value: the JA4, the pattern, or `'<ja4>|<ip>'` with the IP in canonical form. */
  readonly value: string;
  readonly kind: BlocklistEntryKind;
  /** The JA4 or the pattern. */
  readonly ja4: string;
  /** The client IP of a `ja4+ip` entry, otherwise null. */
  readonly ip: string | null;
  /** Reason given to `add`, or null. */
  readonly reason: string | null;
  /** When the entry was added, in milliseconds since the Unix epoch. */
  readonly addedAt: number;
  /** When the entry expires, in milliseconds since the Unix epoch, or null for never. */
  readonly expiresAt: number | null;
}

/**
 * The dynamic blocklist, checked before the rules. Checks read a local copy,
 * so a request never waits on the store. With Redis, writes go to Redis and
 * reach the other instances through pub/sub, and a periodic full sync repairs
 * any missed message.
 */
export interface GuardBlocklist {
  /**
   * Adds or replaces an entry. It applies to this instance at once; with Redis,
   * the promise resolves once Redis stored it. Rejects with
   * `ERR_JA4GUARD_INVALID_BLOCKLIST_VALUE`, `ERR_JA4GUARD_INVALID_JA4`,
   * `ERR_JA4GUARD_INVALID_IP`, `ERR_JA4GUARD_STORE_UNAVAILABLE` or `ERR_JA4GUARD_CLOSED`.
   */
  add(value: BlocklistValue, options?: BlocklistAddOptions): Promise<void>;
  /** Removes an entry; resolves to whether this instance had it. Rejects like `add`. */
  remove(value: BlocklistValue): Promise<boolean>;
  /** Returns whether the local copy has an unexpired entry with exactly this value (no pattern matching). */
  has(value: BlocklistValue): boolean;
  /** Returns the unexpired entries of the local copy. */
  list(): BlocklistEntry[];
  /** Replaces the local copy with the store's content. Resolves at once for the memory store. */
  sync(): Promise<void>;
  /** Number of entries in the local copy, including expired ones not yet swept. */
  readonly size: number;
}

/** A validated blocklist value. */
export interface ParsedBlocklistValue {
  readonly value: string;
  readonly kind: BlocklistEntryKind;
  readonly ja4: string;
  readonly ip: string | null;
  /** Compiled pattern, for `pattern` entries. */
  readonly regex: RegExp | null;
}

const PAIR_SEPARATOR = '|';

function invalidValue(option: string, value: unknown, hint: string): GuardError {
  return new GuardError(GuardErrorCode.INVALID_BLOCKLIST_VALUE, 'Invalid blocklist value', {
    option,
    value,
    hint,
  });
}

function parsePair(ja4Text: unknown, ipText: unknown, option: string): ParsedBlocklistValue {
  if (typeof ja4Text !== 'string' || typeof ipText !== 'string') {
    throw invalidValue(
      option,
      { ja4: ja4Text, ip: ipText },
      'A JA4+IP pair needs a string ja4 and a string ip.',
    );
  }
  if (isJa4Pattern(ja4Text)) {
    throw invalidValue(
      option,
      ja4Text,
      'A JA4+IP pair takes an exact JA4; add a pattern on its own, or write a rule.',
    );
  }
  const ja4 = normalizeJa4(ja4Text, { rule: null, option: `${option}.ja4` });
  if (ipText.includes('/')) {
    throw invalidValue(
      option,
      ipText,
      'A JA4+IP pair takes one IP address; use a rule with match.ip for CIDR ranges.',
    );
  }
  const address = parseIp(ipText);
  if (address === null) {
    throw new GuardError(GuardErrorCode.INVALID_IP, 'Invalid IP address or CIDR range', {
      option: `${option}.ip`,
      value: ipText,
      hint: 'Use dotted IPv4 (192.0.2.1) or IPv6 (2001:db8::1) without a zone id.',
    });
  }
  const ip = formatIp(address);
  return { value: `${ja4}${PAIR_SEPARATOR}${ip}`, kind: 'ja4+ip', ja4, ip, regex: null };
}

/**
 * Validates a blocklist value and returns its canonical form. Throws
 * `ERR_JA4GUARD_INVALID_BLOCKLIST_VALUE`, `ERR_JA4GUARD_INVALID_JA4` or
 * `ERR_JA4GUARD_INVALID_IP`.
 */
export function parseBlocklistValue(input: unknown, option = 'value'): ParsedBlocklistValue {
  if (typeof input === 'object' && input !== null) {
    const pair = input as { ja4?: unknown; ip?: unknown };
    return parsePair(pair.ja4, pair.ip, option);
  }
  if (typeof input !== 'string' || input === '') {
    throw invalidValue(option, input, 'Pass a JA4, a JA4 pattern, "<ja4>|<ip>" or { ja4, ip }.');
  }

  const separator = input.indexOf(PAIR_SEPARATOR);
  if (separator !== -1) {
    return parsePair(input.slice(0, separator), input.slice(separator + 1), option);
  }
  if (isJa4Pattern(input)) {
    const regex = compileJa4Pattern(input, { rule: null, option });
    const pattern = lowercaseHashes(input);
    return { value: pattern, kind: 'pattern', ja4: pattern, ip: null, regex };
  }
  const ja4 = normalizeJa4(input, { rule: null, option });
  return { value: ja4, kind: 'ja4', ja4, ip: null, regex: null };
}

/** Validates `add` options and returns the entry's reason and expiry time. */
export function parseAddOptions(
  options: BlocklistAddOptions | undefined,
  now: number,
): { reason: string | null; expiresAt: number | null } {
  if (options === undefined) {
    return { reason: null, expiresAt: null };
  }
  if (typeof options !== 'object' || options === null) {
    throw invalidValue('options', options, 'Pass { ttlSeconds?, reason? } or nothing.');
  }
  const { ttlSeconds, reason } = options;
  if (
    ttlSeconds !== undefined &&
    (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0)
  ) {
    throw invalidValue(
      'options.ttlSeconds',
      ttlSeconds,
      'Pass a positive number of seconds, or leave it out for no expiry.',
    );
  }
  if (reason !== undefined && typeof reason !== 'string') {
    throw invalidValue('options.reason', reason, 'Pass a string, or leave it out.');
  }
  return {
    reason: reason ?? null,
    expiresAt: ttlSeconds === undefined ? null : now + Math.round(ttlSeconds * 1000),
  };
}

/** Client fields the blocklist reads for one request. */
export interface BlocklistSubject {
  readonly ja4: string;
  /** Canonical client IP, computed only when `ja4+ip` entries exist. */
  readonly clientIp: string;
}

function isExpired(entry: BlocklistEntry, now: number): boolean {
  return entry.expiresAt !== null && entry.expiresAt <= now;
}

/**
 * Local copy of the blocklist. Exact JA4s and JA4+IP pairs are Map lookups,
 * so their number does not change the cost of a check; patterns are tested in
 * insertion order. Expired entries are dropped when a lookup meets them and by
 * {@link BlocklistTable.sweep}.
 */
export class BlocklistTable {
  private readonly exact = new Map<string, BlocklistEntry>();
  private readonly pairs = new Map<string, BlocklistEntry>();
  private readonly patterns = new Map<string, { entry: BlocklistEntry; regex: RegExp }>();

  /** Number of entries, including expired ones not yet dropped. */
  get size(): number {
    return this.exact.size + this.pairs.size + this.patterns.size;
  }

  /** Stores an entry, replacing any entry with the same value. */
  put(
    parsed: ParsedBlocklistValue,
    reason: string | null,
    addedAt: number,
    expiresAt: number | null,
  ): BlocklistEntry {
    const entry: BlocklistEntry = {
      value: parsed.value,
      kind: parsed.kind,
      ja4: parsed.ja4,
      ip: parsed.ip,
      reason,
      addedAt,
      expiresAt,
    };
    if (parsed.kind === 'pattern') {
      this.patterns.set(parsed.value, { entry, regex: parsed.regex as RegExp });
    } else if (parsed.kind === 'ja4+ip') {
      this.pairs.set(parsed.value, entry);
    } else {
      this.exact.set(parsed.value, entry);
    }
    return entry;
  }

  /** Removes the entry with this canonical value; returns whether it existed. */
  delete(value: string): boolean {
    return this.exact.delete(value) || this.pairs.delete(value) || this.patterns.delete(value);
  }

  /** Returns the unexpired entry with this canonical value, or null. */
  get(value: string, now: number): BlocklistEntry | null {
    const entry = this.exact.get(value) ?? this.pairs.get(value) ?? this.patterns.get(value)?.entry;
    if (entry === undefined) {
      return null;
    }
    if (isExpired(entry, now)) {
      this.delete(value);
      return null;
    }
    return entry;
  }

  /** Returns the first unexpired entry that matches the request: exact JA4, then JA4+IP, then patterns. */
  match(subject: BlocklistSubject): BlocklistEntry | null {
    const exact = this.exact.get(subject.ja4);
    if (exact !== undefined && this.keepUnexpired(exact)) {
      return exact;
    }

    if (this.pairs.size > 0) {
      const pair = this.pairs.get(`${subject.ja4}${PAIR_SEPARATOR}${subject.clientIp}`);
      if (pair !== undefined && this.keepUnexpired(pair)) {
        return pair;
      }
    }

    for (const { entry, regex } of this.patterns.values()) {
      if (regex.test(subject.ja4) && this.keepUnexpired(entry)) {
        return entry;
      }
    }
    return null;
  }

  /** Drops every entry that expired at or before `now`; returns how many. */
  sweep(now: number): number {
    let removed = 0;
    for (const map of [this.exact, this.pairs] as const) {
      for (const [value, entry] of map) {
        if (isExpired(entry, now)) {
          map.delete(value);
          removed++;
        }
      }
    }
    for (const [value, { entry }] of this.patterns) {
      if (isExpired(entry, now)) {
        this.patterns.delete(value);
        removed++;
      }
    }
    return removed;
  }

  /** Returns the unexpired entries. */
  entries(now: number): BlocklistEntry[] {
    const result: BlocklistEntry[] = [];
    for (const entry of this.exact.values()) {
      if (!isExpired(entry, now)) result.push(entry);
    }
    for (const entry of this.pairs.values()) {
      if (!isExpired(entry, now)) result.push(entry);
    }
    for (const { entry } of this.patterns.values()) {
      if (!isExpired(entry, now)) result.push(entry);
    }
    return result;
  }

  /** Replaces this table's content with another table's. */
  replaceWith(other: BlocklistTable): void {
    this.exact.clear();
    this.pairs.clear();
    this.patterns.clear();
    for (const [value, entry] of other.exact) this.exact.set(value, entry);
    for (const [value, entry] of other.pairs) this.pairs.set(value, entry);
    for (const [value, stored] of other.patterns) this.patterns.set(value, stored);
  }

  private keepUnexpired(entry: BlocklistEntry): boolean {
    if (isExpired(entry, Date.now())) {
      this.delete(entry.value);
      return false;
    }
    return true;
  }
}

/** Blocklist of the memory store: the local table, with a timer that sweeps expired entries. */
export class MemoryBlocklist implements GuardBlocklist {
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly table: BlocklistTable,
    sweepIntervalMs: number,
  ) {
    this.sweepTimer = setInterval(() => table.sweep(Date.now()), sweepIntervalMs);
    this.sweepTimer.unref();
  }

  get size(): number {
    return this.table.size;
  }

  async add(value: BlocklistValue, options?: BlocklistAddOptions): Promise<void> {
    this.assertOpen();
    const parsed = parseBlocklistValue(value);
    const now = Date.now();
    const { reason, expiresAt } = parseAddOptions(options, now);
    this.table.put(parsed, reason, now, expiresAt);
  }

  async remove(value: BlocklistValue): Promise<boolean> {
    this.assertOpen();
    const parsed = parseBlocklistValue(value);
    return this.table.get(parsed.value, Date.now()) !== null && this.table.delete(parsed.value);
  }

  has(value: BlocklistValue): boolean {
    return this.table.get(parseBlocklistValue(value).value, Date.now()) !== null;
  }

  list(): BlocklistEntry[] {
    return this.table.entries(Date.now());
  }

  async sync(): Promise<void> {}

  /** Stops the sweep timer; later writes reject with `ERR_JA4GUARD_CLOSED`. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
  }

  private assertOpen(): void {
    if (this.closed) {
      throw closedError();
    }
  }
}

/** Error for blocklist writes after `guard.close()`. */
export function closedError(): GuardError {
  return new GuardError(GuardErrorCode.CLOSED, 'The guard is closed', {
    hint: 'Create a new guard with createGuard() to change the blocklist.',
  });
}
