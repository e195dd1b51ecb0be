import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';

/** Constructor options of rate-limiter-flexible's limiters (the type itself is not exported). */
export type LimiterOptions = ConstructorParameters<typeof RateLimiterMemory>[0];

type ConsumeOptions = Parameters<RateLimiterMemory['consume']>[2];

/**
 * A cap on the keys that all in-memory limiters of one guard hold together.
 * Each use of a key makes it the most recent; past the cap, the least recently
 * used key is deleted from its limiter.
 */
export class KeyBudget {
  private readonly keys = new Map<
    string,
    { readonly owner: BoundedMemoryLimiter; readonly key: string; touchedAt: number }
  >();
  private limiterCount = 0;
  /** Number of touches so far; a slot's `touchedAt` is this value at its last move. */
  private touches = 0;

  constructor(readonly maxKeys: number) {}

  /** Number of keys counted against the cap. */
  get size(): number {
    return this.keys.size;
  }

  /** Returns a new limiter id, which keeps the keys of different limiters apart in the budget. */
  register(): number {
    return this.limiterCount++;
  }

  /**
   * Marks a limiter's key as used, evicting the least recently used key past
   * the cap. A key moves to the recent end only when more than half the cap
   * of touches happened since its last move, because a move costs a delete
   * and an insert. The order stays exact enough that only keys idle for at
   * least half the cap can be evicted.
   */
  touch(owner: BoundedMemoryLimiter, key: string): void {
    const budgetKey = owner.budgetPrefix + key;
    const touches = ++this.touches;
    const existing = this.keys.get(budgetKey);
    if (existing !== undefined) {
      if (touches - existing.touchedAt > this.maxKeys >> 1) {
        this.keys.delete(budgetKey);
        existing.touchedAt = touches;
        this.keys.set(budgetKey, existing);
      }
      return;
    }
    this.keys.set(budgetKey, { owner, key, touchedAt: touches });
    if (this.keys.size <= this.maxKeys) {
      return;
    }
    const oldest = this.keys.entries().next();
    if (!oldest.done) {
      const [oldestBudgetKey, slot] = oldest.value;
      this.keys.delete(oldestBudgetKey);
      slot.owner.evict(slot.key);
    }
  }

  /** Stops counting a key that its limiter deleted. */
  forget(owner: BoundedMemoryLimiter, key: string): void {
    this.keys.delete(owner.budgetPrefix + key);
  }
}

/**
 * rate-limiter-flexible's memory limiter with its keys counted in a
 * {@link KeyBudget}. The plain limiter keeps one record per key until the
 * key's window ends, so random keys could grow it without bound.
 */
export class BoundedMemoryLimiter extends RateLimiterMemory {
  /** Number given by the budget, part of this limiter's entries there. */
  readonly budgetId: number;
  /** Prefix of this limiter's keys in the budget. */
  readonly budgetPrefix: string;

  constructor(
    options: LimiterOptions,
    private readonly budget: KeyBudget,
  ) {
    super(options);
    this.budgetId = budget.register();
    this.budgetPrefix = `${this.budgetId}\u0000`;
  }

  override consume(
    key: string | number,
    points?: number,
    options?: ConsumeOptions,
  ): Promise<RateLimiterRes> {
    this.budget.touch(this, String(key));
    return super.consume(key, points, options);
  }

  override penalty(
    key: string | number,
    points?: number,
    options?: ConsumeOptions,
  ): Promise<RateLimiterRes> {
    this.budget.touch(this, String(key));
    return super.penalty(key, points, options);
  }

  override reward(
    key: string | number,
    points?: number,
    options?: ConsumeOptions,
  ): Promise<RateLimiterRes> {
    this.budget.touch(this, String(key));
    return super.reward(key, points, options);
  }

  override set(
    key: string | number,
    points: number,
    seconds: number,
    options?: ConsumeOptions,
  ): Promise<RateLimiterRes> {
    this.budget.touch(this, String(key));
    return super.set(key, points, seconds, options);
  }

  override block(
    key: string | number,
    seconds: number,
    options?: ConsumeOptions,
  ): Promise<RateLimiterRes> {
    this.budget.touch(this, String(key));
    return super.block(key, seconds, options);
  }

  override delete(key: string | number, options?: ConsumeOptions): Promise<boolean> {
    this.budget.forget(this, String(key));
    return super.delete(key, options);
  }

  /** Deletes a key chosen for eviction by the budget. */
  evict(key: string): void {
    // RateLimiterMemory deletes synchronously and returns a resolved promise.
    void super.delete(key);
  }
}

/**
 * The in-memory limiter that rate-limiter-flexible calls in place of Redis
 * when a Redis call fails or times out (its `insuranceLimiter`). Each call
 * reports the failure, because rate-limiter-flexible does not pass the error on.
 */
export class InsuranceLimiter extends BoundedMemoryLimiter {
  constructor(
    options: LimiterOptions,
    budget: KeyBudget,
    private readonly onUse: () => void,
  ) {
    super(options, budget);
  }

  override consume(
    key: string | number,
    points?: number,
    options?: ConsumeOptions,
  ): Promise<RateLimiterRes> {
    this.onUse();
    return super.consume(key, points, options);
  }

  override penalty(
    key: string | number,
    points?: number,
    options?: ConsumeOptions,
  ): Promise<RateLimiterRes> {
    this.onUse();
    return super.penalty(key, points, options);
  }
}
