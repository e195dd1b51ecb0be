import type { GuardLogger } from './types.js';

/**
 * Logs a repeating error at most once per interval and key, with the number
 * of occurrences that were not logged since the last line.
 */
export class ThrottledLog {
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: GuardLogger | null,
    private readonly intervalMs: number,
  ) {}

  /** Logs through `logger.error` unless this key was logged less than one interval ago. */
  error(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.logger === null) {
      return;
    }
    const now = Date.now();
    const state = this.lastLogged.get(key);
    if (state !== undefined && now - state.at < this.intervalMs) {
      state.suppressed++;
      return;
    }
    this.lastLogged.set(key, { at: now, suppressed: 0 });
    this.logger.error({ ...fields, suppressed: state?.suppressed ?? 0 }, message);
  }
}
