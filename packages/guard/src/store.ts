import { BlocklistTable, type GuardBlocklist, MemoryBlocklist } from './blocklist.js';
import {
  type LimiterSpec,
  MemoryRuleLimiter,
  RedisRuleLimiter,
  type RuleLimiter,
} from './limiter.js';
import type { ThrottledLog } from './log.js';
import { KeyBudget } from './memory-limiter.js';
import type { ResolvedOptions } from './options.js';
import { RedisBlocklist } from './redis-blocklist.js';
import { RedisHealth } from './redis-health.js';
import type { RedisClient, RedisStoreOptions } from './types.js';

/** Milliseconds a blocklist command (write or sync step) may take; these never run inside a check. */
const BLOCKLIST_COMMAND_TIMEOUT_MS = 2000;

/** Counters and blocklist of one guard. */
export interface GuardStore {
  readonly blocklist: GuardBlocklist;
  /** Local blocklist copy read by every check. */
  readonly table: BlocklistTable;
  /** Keys held in process memory by the limiters. */
  readonly budget: KeyBudget;
  /** Creates a counter. Each spec id must be unique within the guard. */
  createLimiter(spec: LimiterSpec): RuleLimiter;
  /** False while Redis is down; always true for the memory store. */
  isAvailable(): boolean;
  /** Resolves when the store has loaded its state (the first blocklist sync with Redis). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

class MemoryStore implements GuardStore {
  readonly table = new BlocklistTable();
  readonly blocklist: MemoryBlocklist;
  readonly budget: KeyBudget;

  constructor(options: ResolvedOptions) {
    this.budget = new KeyBudget(options.maxKeys);
    this.blocklist = new MemoryBlocklist(this.table, options.blocklistSyncIntervalMs);
  }

  createLimiter(spec: LimiterSpec): RuleLimiter {
    return new MemoryRuleLimiter(spec, this.budget);
  }

  isAvailable(): boolean {
    return true;
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.blocklist.close();
  }
}

class RedisStore implements GuardStore {
  readonly table = new BlocklistTable();
  readonly blocklist: RedisBlocklist;
  readonly budget: KeyBudget;
  private readonly health: RedisHealth;

  constructor(
    private readonly client: RedisClient,
    private readonly options: ResolvedOptions,
    errors: ThrottledLog,
  ) {
    this.budget = new KeyBudget(options.maxKeys);
    this.health = new RedisHealth(
      client,
      options.logger,
      options.redisTimeoutMs,
      options.redisProbeIntervalMs,
      options.failClosed
        ? 'requests that reach a rate-limit rule are blocked'
        : 'rate limits use in-memory counters',
    );
    this.blocklist = new RedisBlocklist(this.table, {
      client,
      health: this.health,
      errors,
      keyPrefix: options.keyPrefix,
      syncIntervalMs: options.blocklistSyncIntervalMs,
      commandTimeoutMs: BLOCKLIST_COMMAND_TIMEOUT_MS,
    });
    this.blocklist.start();
  }

  createLimiter(spec: LimiterSpec): RuleLimiter {
    return new RedisRuleLimiter(spec, {
      client: this.client,
      health: this.health,
      budget: this.budget,
      keyPrefix: this.options.keyPrefix,
      timeoutMs: this.options.redisTimeoutMs,
      failClosed: this.options.failClosed,
    });
  }

  isAvailable(): boolean {
    return this.health.available;
  }

  ready(): Promise<void> {
    return this.blocklist.ready();
  }

  async close(): Promise<void> {
    this.health.close();
    await this.blocklist.close();
  }
}

/** Creates the memory store, or the Redis store when a client was given. */
export function createStore(options: ResolvedOptions, errors: ThrottledLog): GuardStore {
  return options.redis === null
    ? new MemoryStore(options)
    : new RedisStore(options.redis, options, errors);
}

/**
 * Builds the `store` option for Redis. The client must be created with
 * `enableOfflineQueue: false`; see {@link RedisStoreOptions}.
 */
export function redisStore(client: RedisClient): RedisStoreOptions {
  return { type: 'redis', client };
}
