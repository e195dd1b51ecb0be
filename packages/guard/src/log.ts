import type { AdapterLogger } from './adapter/options.js';

/** Minimum milliseconds between two error lines with the same key. */
export const ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * Logs a repeating error at most once per interval and key, with the number
 * of repeats that were not logged since the last line.
 */
export class ThrottledLog {
  readonly #logger: AdapterLogger | null;
  readonly #intervalMs: number;
  readonly #lastLogged = new Map<string, { at: number; suppressed: number }>();

  constructor(logger: AdapterLogger | null, intervalMs = ERROR_LOG_INTERVAL_MS) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  /** Writes through `logger.error` unless this key was logged less than one interval ago. */
  error(key: string, fields: Record<string, unknown>, message: string): void {
    const write = this.#logger?.error;
    if (write === undefined) {
      return;
    }
    const now = Date.now();
    const state = this.#lastLogged.get(key);
    if (state !== undefined && now - state.at < this.#intervalMs) {
      state.suppressed++;
      return;
    }
    this.#lastLogged.set(key, { at: now, suppressed: 0 });
    write.call(this.#logger, { ...fields, suppressed: state?.suppressed ?? 0 }, message);
  }
}
