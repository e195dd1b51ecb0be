import { RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';
import { BoundedMemoryLimiter, InsuranceLimiter, type KeyBudget } from './memory-limiter.js';
import type { RedisHealth } from './redis-health.js';
import type { RedisClient } from './types.js';

/** Settings of one counter: a rule's rate limit, or the exceeded-window count of a ban. */
export interface LimiterSpec {
  /**
   * Unique id such as `rl:<rule name>`, the start of every stored key. The rule name is
   * URI-encoded, so it contains no colon and the keys of two rules cannot collide.
   */
  readonly id: string;
  readonly points: number;
  /** Window in seconds. */
  readonly duration: number;
  /** Seconds a key stays blocked once over `points`; 0 for the rest of the window. */
  readonly blockDuration: number;
}

/** Result of consuming one point. */
export type LimitOutcome =
  | { readonly status: 'counted'; readonly res: RateLimiterRes; readonly exceeded: boolean }
  | { readonly status: 'unavailable'; readonly error: unknown };

/** A counter for one rule. No method rejects. */
export interface RuleLimiter {
  /** Consumes one point. Returns the outcome without a promise when it is known locally. */
  consume(key: string): LimitOutcome | Promise<LimitOutcome>;
  /** Adds one to the key and resolves to the new count, or to null when the store failed. */
  increment(key: string): Promise<number | null>;
  /** Deletes the key; store failures are ignored. */
  reset(key: string): Promise<void>;
}

/** Translates rate-limiter-flexible's promise: a RateLimiterRes rejection means over the limit, an Error means store failure. */
function settle(promise: Promise<RateLimiterRes>): Promise<LimitOutcome> {
  return promise.then(
    (res): LimitOutcome => ({ status: 'counted', res, exceeded: false }),
    (reason: unknown): LimitOutcome =>
      reason instanceof RateLimiterRes
        ? { status: 'counted', res: reason, exceeded: true }
        : { status: 'unavailable', error: reason },
  );
}

function countOf(promise: Promise<RateLimiterRes>): Promise<number | null> {
  return promise.then(
    (res) => res.consumedPoints,
    () => null,
  );
}

/** Counter held in process memory. */
export class MemoryRuleLimiter implements RuleLimiter {
  private readonly limiter: BoundedMemoryLimiter;

  constructor(spec: LimiterSpec, budget: KeyBudget) {
    this.limiter = new BoundedMemoryLimiter(
      {
        keyPrefix: spec.id,
        points: spec.points,
        duration: spec.duration,
        blockDuration: spec.blockDuration,
      },
      budget,
    );
  }

  consume(key: string): Promise<LimitOutcome> {
    return settle(this.limiter.consume(key));
  }

  increment(key: string): Promise<number | null> {
    return countOf(this.limiter.penalty(key));
  }

  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}

/**
 * Read access to RateLimiterRedis's in-memory block cache. The method is public
 * in rate-limiter-flexible 11.4 but missing from its type declarations. Without
 * it the guard still works: RateLimiterRedis checks the same cache inside
 * `consume`, only the result then comes through a promise.
 */
interface InMemoryBlockCache {
  /** Milliseconds left on the in-memory block of a stored key (prefix included), or 0. */
  getInMemoryBlockMsBeforeExpire(storeKey: string): number;
}

/** Connection settings shared by the Redis counters of one guard. */
export interface RedisLimiterContext {
  readonly client: RedisClient;
  readonly health: RedisHealth;
  readonly budget: KeyBudget;
  /** Prefix of every Redis key. */
  readonly keyPrefix: string;
  readonly timeoutMs: number;
  /** When false, failures fall over to an in-memory insurance limiter; when true, they surface as `unavailable`. */
  readonly failClosed: boolean;
}

/**
 * Counter in Redis through rate-limiter-flexible's RateLimiterRedis, with:
 * - its in-memory block cache: a key over the limit is rejected locally until
 *   its window or block ends, with no Redis call;
 * - a timeout on every call (RLWrapperTimeouts), since a stalled Redis keeps
 *   the connection open and ioredis would wait;
 * - an in-memory insurance limiter taking over failed calls, unless failClosed;
 * - no Redis call at all while {@link RedisHealth} reports Redis down.
 */
export class RedisRuleLimiter implements RuleLimiter {
  private readonly redisLimiter: RateLimiterRedis;
  private readonly timedLimiter: RLWrapperTimeouts;
  private readonly insurance: InsuranceLimiter | null;
  private readonly blockCache: InMemoryBlockCache | null;

  constructor(
    spec: LimiterSpec,
    private readonly context: RedisLimiterContext,
  ) {
    const { health } = context;
    this.insurance = context.failClosed
      ? null
      : new InsuranceLimiter(
          {
            keyPrefix: `insurance:${spec.id}`,
            points: spec.points,
            duration: spec.duration,
            blockDuration: spec.blockDuration,
          },
          context.budget,
          () => health.reportFailure(null, 'rate limit'),
        );

    this.redisLimiter = new RateLimiterRedis({
      storeClient: context.client,
      keyPrefix: `${context.keyPrefix}${spec.id}`,
      points: spec.points,
      duration: spec.duration,
      blockDuration: spec.blockDuration,
      // Once a key is over the limit, later requests on this instance are rejected from memory.
      inMemoryBlockOnConsumed: spec.points + 1,
      // With 0 (no block duration), the in-memory block lasts until the window ends.
      inMemoryBlockDuration: spec.blockDuration,
      // A disconnected ioredis client fails the call at once instead of trying to send it.
      rejectIfRedisNotReady: true,
    });

    const cache = this.redisLimiter as unknown as Partial<InMemoryBlockCache>;
    this.blockCache =
      typeof cache.getInMemoryBlockMsBeforeExpire === 'function'
        ? (cache as InMemoryBlockCache)
        : null;

    this.timedLimiter = new RLWrapperTimeouts({
      limiter: this.redisLimiter,
      timeoutMs: context.timeoutMs,
      blockDuration: spec.blockDuration,
      insuranceLimiter: this.insurance ?? undefined,
    });
  }

  consume(key: string): LimitOutcome | Promise<LimitOutcome> {
    if (!this.context.health.available) {
      if (this.insurance === null) {
        this.context.health.reportFailure(null, 'rate limit');
        return { status: 'unavailable', error: null };
      }
      return settle(this.insurance.consume(key));
    }

    const blockedMs =
      this.blockCache?.getInMemoryBlockMsBeforeExpire(this.redisLimiter.getKey(key)) ?? 0;
    if (blockedMs > 0) {
      return { status: 'counted', res: new RateLimiterRes(0, blockedMs, 0, false), exceeded: true };
    }

    return settle(this.timedLimiter.consume(key)).then((outcome) => {
      if (outcome.status === 'unavailable') {
        this.context.health.reportFailure(outcome.error, 'rate limit');
      }
      return outcome;
    });
  }

  increment(key: string): Promise<number | null> {
    if (!this.context.health.available) {
      return this.insurance === null ? Promise.resolve(null) : countOf(this.insurance.penalty(key));
    }
    return this.timedLimiter.penalty(key).then(
      (res) => res.consumedPoints,
      (error: unknown) => {
        this.context.health.reportFailure(error, 'ban counter');
        return null;
      },
    );
  }

  async reset(key: string): Promise<void> {
    await this.insurance?.delete(key);
    if (!this.context.health.available) {
      return;
    }
    try {
      await this.timedLimiter.delete(key);
    } catch (error) {
      this.context.health.reportFailure(error, 'ban counter reset');
    }
  }
}
