import type { Decision, DecisionAction } from '../types.js';

/** Decision totals of one stage since `createGuard`. */
export interface DecisionCounts {
  /** Decisions by action. Dry-run decisions count under the action they would have taken. */
  readonly byAction: Readonly<Record<DecisionAction, number>>;
  /**
   * Counts per rule name and action: `allow`, `block` and `limit` when the rule
   * decided, `pass` when the decision reported this rule's rate limit and let
   * the request through, and `log` for each matching `log` rule.
   */
  readonly byRule: Readonly<Record<string, Readonly<Partial<Record<DecisionAction, number>>>>>;
  /** Decisions taken because of a blocklist entry. */
  readonly blocklist: number;
  /** Blocks because the store was unavailable under `failClosed`. */
  readonly storeUnavailable: number;
}

type ActionCounts = Record<DecisionAction, number>;

function emptyActionCounts(): ActionCounts {
  return { allow: 0, block: 0, limit: 0, log: 0, pass: 0 };
}

/** Decision counters of one stage. Counting costs a few property increments and one Map lookup per rule involved. */
export class DecisionCounter {
  private readonly byAction = emptyActionCounts();
  private readonly byRule = new Map<string, Partial<ActionCounts>>();
  private blocklist = 0;
  private storeUnavailable = 0;

  /** Counts one decision. */
  count(decision: Decision): void {
    this.byAction[decision.action]++;
    if (decision.reason === 'blocklist') {
      this.blocklist++;
    } else if (decision.reason === 'store-unavailable') {
      this.storeUnavailable++;
    }

    if (decision.rule !== null) {
      // A pass or log decision names the rate-limit rule that counted the request.
      const action = decision.reason === null ? 'pass' : decision.action;
      this.countRule(decision.rule, action);
    }
    for (const name of decision.logs) {
      this.countRule(name, 'log');
    }
  }

  /** Returns a copy of the counters. */
  snapshot(): DecisionCounts {
    const byRule: Record<string, Partial<ActionCounts>> = Object.fromEntries(
      [...this.byRule].map(([name, counts]) => [name, { ...counts }]),
    );
    return {
      byAction: { ...this.byAction },
      byRule,
      blocklist: this.blocklist,
      storeUnavailable: this.storeUnavailable,
    };
  }

  private countRule(name: string, action: DecisionAction): void {
    let counts = this.byRule.get(name);
    if (counts === undefined) {
      counts = {};
      this.byRule.set(name, counts);
    }
    counts[action] = (counts[action] ?? 0) + 1;
  }
}
