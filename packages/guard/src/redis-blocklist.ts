import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import {
  type BlocklistAddOptions,
  type BlocklistEntry,
  BlocklistTable,
  type BlocklistValue,
  closedError,
  type GuardBlocklist,
  type ParsedBlocklistValue,
  parseAddOptions,
  parseBlocklistValue,
} from './blocklist.js';
import { GuardError, GuardErrorCode } from './errors.js';
import type { ThrottledLog } from './log.js';
import type { RedisHealth } from './redis-health.js';
import { withTimeout } from './timeout.js';
import type { RedisClient } from './types.js';

/** Settings of the shared blocklist. */
export interface RedisBlocklistOptions {
  readonly client: RedisClient;
  readonly health: RedisHealth;
  readonly errors: ThrottledLog;
  /** Prefix of the Redis keys and the pub/sub channel. */
  readonly keyPrefix: string;
  /** Milliseconds between full syncs. */
  readonly syncIntervalMs: number;
  /** Milliseconds one blocklist command may take. */
  readonly commandTimeoutMs: number;
}

/** Pub/sub message of one blocklist change. */
type ChangeMessage =
  | {
      readonly op: 'add';
      readonly value: string;
      readonly reason: string | null;
      readonly addedAt: number;
      readonly expiresAt: number | null;
      readonly origin: string;
    }
  | { readonly op: 'remove'; readonly value: string; readonly origin: string };

/** Fields stored per entry in the Redis hash. */
interface StoredFields {
  readonly reason: string | null;
  readonly addedAt: number;
  readonly expiresAt: number | null;
}

const HSCAN_COUNT = 1000;
/** Upper bound on HSCAN round trips in one sync: 10,000 rounds cover about 10 million entries. */
const MAX_SCAN_ROUNDS = 10_000;
const EXPIRY_BATCH = 500;

// Deletes up to ARGV[2] entries whose expiry time (ms since the epoch) is at or before ARGV[1].
// Running both deletions in one script keeps an entry re-added with a later expiry safe.
const DELETE_EXPIRED_SCRIPT = `
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #due > 0 then
  redis.call('HDEL', KEYS[1], unpack(due))
  redis.call('ZREM', KEYS[2], unpack(due))
end
return #due
`;

function isFiniteOrNull(value: unknown): value is number | null {
  return value === null || (typeof value === 'number' && Number.isFinite(value));
}

function parseJsonObject(text: string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : null;
}

function toStoredFields(object: Record<string, unknown>): StoredFields | null {
  const { reason, addedAt, expiresAt } = object;
  if (
    (reason !== null && typeof reason !== 'string') ||
    typeof addedAt !== 'number' ||
    !isFiniteOrNull(expiresAt)
  ) {
    return null;
  }
  return { reason, addedAt, expiresAt };
}

function parseStoredFields(text: string): StoredFields | null {
  const object = parseJsonObject(text);
  return object === null ? null : toStoredFields(object);
}

function parseChangeMessage(text: string): ChangeMessage | null {
  const object = parseJsonObject(text);
  if (object === null || typeof object.value !== 'string' || typeof object.origin !== 'string') {
    return null;
  }
  if (object.op === 'remove') {
    return { op: 'remove', value: object.value, origin: object.origin };
  }
  const stored = object.op === 'add' ? toStoredFields(object) : null;
  return stored === null
    ? null
    : { op: 'add', value: object.value, origin: object.origin, ...stored };
}

/**
 * Blocklist shared through Redis. Entries live in a hash (value to JSON
 * fields), entries with a TTL also in a sorted set by expiry time, and a
 * counter changes with every write. Every instance keeps a local
 * {@link BlocklistTable}: changes arrive through pub/sub on a dedicated
 * subscriber connection, and a full sync every interval (skipped while the
 * counter is unchanged) repairs missed messages. Expired entries are ignored
 * locally by each instance's clock and deleted from Redis by the sync.
 */
export class RedisBlocklist implements GuardBlocklist {
  private readonly client: RedisClient;
  private readonly entriesKey: string;
  private readonly expiryKey: string;
  private readonly versionKey: string;
  private readonly channel: string;
  private readonly origin = randomUUID();
  private subscriber: RedisClient | null = null;
  private subscribed = false;
  private subscriberReadyCount = 0;
  private syncTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private syncedVersion: string | null = null;
  /** Changes seen while a full sync runs, applied again on top of its result. */
  private changesDuringSync: ChangeMessage[] | null = null;
  private firstSync: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly table: BlocklistTable,
    private readonly options: RedisBlocklistOptions,
  ) {
    this.client = options.client;
    // The {blocklist} hash tag puts the three keys in one Cluster slot, which MULTI and the script need.
    const base = `${options.keyPrefix}{blocklist}`;
    this.entriesKey = `${base}:entries`;
    this.expiryKey = `${base}:expiry`;
    this.versionKey = `${base}:version`;
    this.channel = `${options.keyPrefix}blocklist:changes`;
  }

  get size(): number {
    return this.table.size;
  }

  /** Opens the subscriber connection, runs the first full sync and starts the sync timer. */
  start(): void {
    this.subscriber = this.createSubscriber();
    // Subscribing first means no change can fall between the loaded snapshot and the first message.
    // The timeout bounds ready() while Redis is down and the subscriber's offline queue contains SUBSCRIBE.
    this.firstSync = withTimeout(this.subscribe(), this.options.commandTimeoutMs, 'Redis SUBSCRIBE')
      .catch(() => {})
      .then(() => this.sync())
      .catch(() => {});
    this.syncTimer = setInterval(() => this.tick(), this.options.syncIntervalMs);
    this.syncTimer.unref();
    this.options.health.onRecovery(() => {
      this.syncedVersion = null;
      void this.sync().catch(() => {});
    });
  }

  /** Resolves once the subscription and the first full sync have finished or failed. */
  ready(): Promise<void> {
    return this.firstSync;
  }

  async add(value: BlocklistValue, options?: BlocklistAddOptions): Promise<void> {
    this.assertOpen();
    const parsed = parseBlocklistValue(value);
    // NOTE: expiresAt is an absolute time from this host's clock, and every instance compares it
    // with its own clock, so clock skew between hosts shifts the expiry on each of them.
    const now = Date.now();
    const { reason, expiresAt } = parseAddOptions(options, now);
    const change: ChangeMessage = {
      op: 'add',
      value: parsed.value,
      reason,
      addedAt: now,
      expiresAt,
      origin: this.origin,
    };
    // NOTE: when the Redis write below fails, the entry stays in this instance's copy only until
    // the next full sync replaces the copy. Nothing retries the write, so a ban made during an
    // outage ends when Redis recovers, not when its TTL runs out.
    this.table.put(parsed, reason, now, expiresAt);
    this.changesDuringSync?.push(change);

    const stored: StoredFields = { reason, addedAt: now, expiresAt };
    const transaction = this.client
      .multi()
      .hset(this.entriesKey, parsed.value, JSON.stringify(stored));
    if (expiresAt === null) {
      transaction.zrem(this.expiryKey, parsed.value);
    } else {
      transaction.zadd(this.expiryKey, expiresAt, parsed.value);
    }
    // PUBLISH inside the transaction keeps messages in the order of the writes.
    transaction.incr(this.versionKey).publish(this.channel, JSON.stringify(change));
    await this.execute(transaction.exec(), 'blocklist add');
  }

  async remove(value: BlocklistValue): Promise<boolean> {
    this.assertOpen();
    const parsed = parseBlocklistValue(value);
    const existed = this.table.get(parsed.value, Date.now()) !== null;
    const change: ChangeMessage = { op: 'remove', value: parsed.value, origin: this.origin };
    this.table.delete(parsed.value);
    this.changesDuringSync?.push(change);

    const transaction = this.client
      .multi()
      .hdel(this.entriesKey, parsed.value)
      .zrem(this.expiryKey, parsed.value)
      .incr(this.versionKey)
      .publish(this.channel, JSON.stringify(change));
    await this.execute(transaction.exec(), 'blocklist remove');
    return existed;
  }

  has(value: BlocklistValue): boolean {
    return this.table.get(parseBlocklistValue(value).value, Date.now()) !== null;
  }

  list(): BlocklistEntry[] {
    return this.table.entries(Date.now());
  }

  /**
   * Replaces the local copy with the content of Redis and deletes expired
   * entries from Redis. Concurrent calls share one run. Rejects with
   * `ERR_JA4GUARD_STORE_UNAVAILABLE` when Redis does not reply.
   */
  sync(): Promise<void> {
    // A run in progress may have skipped loading, so a requested sync starts after it.
    const previous = this.running ?? Promise.resolve();
    return previous
      .catch(() => {})
      .then(() => {
        this.syncedVersion = null;
        return this.runOnce();
      });
  }

  /** Stops the timer and closes the subscriber connection; the user's client stays open. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.syncTimer !== null) {
      clearInterval(this.syncTimer);
    }
    const subscriber = this.subscriber;
    this.subscriber = null;
    if (subscriber !== null) {
      try {
        await withTimeout(subscriber.quit(), this.options.commandTimeoutMs, 'Redis QUIT');
      } catch {
        subscriber.disconnect();
      }
    }
  }

  private tick(): void {
    this.table.sweep(Date.now());
    if (!this.subscribed) {
      void this.subscribe();
    }
    if (this.options.health.available) {
      void this.runOnce().catch(() => {});
    }
  }

  private runOnce(): Promise<void> {
    if (this.running === null) {
      this.running = this.fullSync().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async fullSync(): Promise<void> {
    const version = await this.execute(this.client.get(this.versionKey), 'blocklist sync');
    if (version === null || version !== this.syncedVersion) {
      await this.loadEntries(version);
    }
    await this.execute(
      this.client.eval(
        DELETE_EXPIRED_SCRIPT,
        2,
        this.entriesKey,
        this.expiryKey,
        Date.now(),
        EXPIRY_BATCH,
      ),
      'blocklist expiry',
    );
  }

  private async loadEntries(version: string | null): Promise<void> {
    const fresh = new BlocklistTable();
    let invalid = 0;
    this.changesDuringSync = [];
    try {
      let cursor = '0';
      for (let round = 0; round < MAX_SCAN_ROUNDS; round++) {
        const [next, flat] = await this.execute(
          this.client.hscan(this.entriesKey, cursor, 'COUNT', HSCAN_COUNT),
          'blocklist sync',
        );
        for (let i = 0; i + 1 < flat.length; i += 2) {
          if (!this.putStored(fresh, flat[i] as string, flat[i + 1] as string)) {
            invalid++;
          }
        }
        cursor = next;
        if (cursor === '0') {
          break;
        }
      }
      for (const change of this.changesDuringSync) {
        this.applyTo(fresh, change);
      }
      this.table.replaceWith(fresh);
      this.syncedVersion = version;
    } finally {
      this.changesDuringSync = null;
    }

    if (invalid > 0) {
      this.options.errors.error(
        'blocklist-invalid-entries',
        { store: 'redis', key: this.entriesKey, invalid },
        'Skipped malformed blocklist entries in Redis; remove them with HDEL',
      );
    }
  }

  private putStored(table: BlocklistTable, value: string, text: string): boolean {
    const fields = parseStoredFields(text);
    const parsed = fields === null ? null : this.tryParse(value);
    if (fields === null || parsed === null) {
      return false;
    }
    table.put(parsed, fields.reason, fields.addedAt, fields.expiresAt);
    return true;
  }

  private tryParse(value: string): ParsedBlocklistValue | null {
    try {
      return parseBlocklistValue(value);
    } catch {
      return null;
    }
  }

  private applyTo(table: BlocklistTable, change: ChangeMessage): void {
    if (change.op === 'remove') {
      const parsed = this.tryParse(change.value);
      if (parsed !== null) {
        table.delete(parsed.value);
      }
      return;
    }
    const parsed = this.tryParse(change.value);
    if (parsed !== null) {
      table.put(parsed, change.reason, change.addedAt, change.expiresAt);
    }
  }

  private onMessage(channel: string, text: string): void {
    if (channel !== this.channel) {
      return;
    }
    const change = parseChangeMessage(text);
    if (change === null) {
      this.options.errors.error(
        'blocklist-invalid-message',
        { store: 'redis', channel },
        'Ignored a malformed blocklist change message',
      );
      return;
    }
    if (change.origin === this.origin) {
      return;
    }
    this.applyTo(this.table, change);
    this.changesDuringSync?.push(change);
  }

  private createSubscriber(): RedisClient {
    // Subscribing may wait for the connection, so this connection keeps an offline queue;
    // it never carries a request-path command.
    const subscriber = this.client.isCluster
      ? (this.client as Cluster).duplicate(undefined, { enableOfflineQueue: true })
      : (this.client as Redis).duplicate({ enableOfflineQueue: true });
    subscriber.on('error', (error: unknown) => {
      this.options.health.reportFailure(error, 'blocklist subscriber');
    });
    subscriber.on('message', (channel: string, text: string) => this.onMessage(channel, text));
    subscriber.on('ready', () => {
      this.subscriberReadyCount++;
      // Messages sent while the subscriber was disconnected are lost, so reload everything.
      if (this.subscriberReadyCount > 1 && !this.closed) {
        void this.sync().catch(() => {});
      }
    });
    return subscriber;
  }

  /** Subscribes to the change channel; resolves when the attempt settles, never rejects. */
  private subscribe(): Promise<void> {
    const subscriber = this.subscriber;
    if (subscriber === null || this.closed) {
      return Promise.resolve();
    }
    return subscriber.subscribe(this.channel).then(
      () => {
        this.subscribed = true;
      },
      (error: unknown) => {
        this.subscribed = false;
        this.options.health.reportFailure(error, 'blocklist subscribe');
      },
    );
  }

  private async execute<T>(promise: Promise<T>, operation: string): Promise<T> {
    try {
      const result = await withTimeout(
        promise,
        this.options.commandTimeoutMs,
        `Redis ${operation}`,
      );
      checkTransactionResult(result);
      return result;
    } catch (error) {
      this.options.health.reportFailure(error, operation);
      throw new GuardError(
        GuardErrorCode.STORE_UNAVAILABLE,
        `Redis did not complete the ${operation}`,
        {
          hint: 'Check that Redis is reachable, then retry; until then the change applies to this instance only.',
          cause: error,
        },
      );
    }
  }

  private assertOpen(): void {
    if (this.closed) {
      throw closedError();
    }
  }
}

/** Throws the first command error of a MULTI result (`[error, reply][]`); other results pass. */
function checkTransactionResult(result: unknown): void {
  if (!Array.isArray(result)) {
    return;
  }
  for (const item of result) {
    if (Array.isArray(item) && item[0] instanceof Error) {
      throw item[0];
    }
  }
}
