import { withTimeout } from './timeout.js';
import type { GuardLogger, RedisClient } from './types.js';

/**
 * Tracks whether Redis replies. The first failure marks Redis down and logs
 * the outage once. While Redis is down, callers skip it, and a PING every
 * probe interval looks for recovery, which is logged once. Only the probe marks
 * Redis up again, so replies to commands sent before the outage cannot make
 * the state flap.
 */
export class RedisHealth {
  private up = true;
  private downSince = 0;
  /** Calls that failed or skipped Redis during the current outage. */
  private fallbackCalls = 0;
  private probeTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly recoveryListeners: Array<() => void> = [];

  constructor(
    private readonly client: RedisClient,
    private readonly logger: GuardLogger | null,
    private readonly timeoutMs: number,
    private readonly probeIntervalMs: number,
    /** Behaviour during the outage, for the log line, such as "rate limits use in-memory counters". */
    private readonly fallback: string,
  ) {}

  /** Redis availability: true unless a call failed and no probe has succeeded since. */
  get available(): boolean {
    return this.up;
  }

  /** Registers a function to run each time Redis comes back. */
  onRecovery(listener: () => void): void {
    this.recoveryListeners.push(listener);
  }

  /**
   * Records a failed or timed-out Redis call. `error` is null when
   * rate-limiter-flexible handled the failure with the insurance limiter and
   * kept the error to itself.
   */
  reportFailure(error: unknown, operation: string): void {
    this.fallbackCalls++;
    if (!this.up || this.closed) {
      return;
    }
    this.up = false;
    this.downSince = Date.now();
    this.logger?.error(
      error === null ? { store: 'redis', operation } : { store: 'redis', operation, err: error },
      error === null
        ? `Redis store unavailable: a call failed or timed out; ${this.fallback} until Redis replies to PING`
        : `Redis store unavailable; ${this.fallback} until Redis replies to PING`,
    );
    this.scheduleProbe(0);
  }

  /** Stops probing; later failures are no longer logged. */
  close(): void {
    this.closed = true;
    if (this.probeTimer !== null) {
      clearTimeout(this.probeTimer);
      this.probeTimer = null;
    }
  }

  private scheduleProbe(delayMs: number): void {
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      void this.probe();
    }, delayMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    // NOTE: on a Cluster, PING reaches a single node, so while only some nodes are down the state
    // can return to up and fail again at each probe interval, logging each outage and recovery.
    try {
      await withTimeout(this.client.ping(), this.timeoutMs, 'Redis PING');
    } catch {
      if (!this.closed) {
        this.scheduleProbe(this.probeIntervalMs);
      }
      return;
    }
    if (this.closed) {
      return;
    }

    this.up = true;
    this.logger?.info(
      {
        store: 'redis',
        downtimeMs: Date.now() - this.downSince,
        fallbackCalls: this.fallbackCalls,
      },
      'Redis store recovered',
    );
    this.fallbackCalls = 0;
    for (const listener of this.recoveryListeners) {
      listener();
    }
  }
}
