import { type GuardBlocklist, parseBlocklistValue } from './blocklist.js';
import {
  buildConnectionHook,
  type ConnectionHook,
  type ConnectionHookOptions,
} from './connection/stage.js';
import { GuardError, GuardErrorCode } from './errors.js';
import type { LimitOutcome, RuleLimiter } from './limiter.js';
import { ERROR_LOG_INTERVAL_MS, ThrottledLog } from './log.js';
import { DecisionCounter, type DecisionCounts } from './metrics/decision-counters.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import { RequestView } from './request-view.js';
import { type CompiledBan, type CompiledRule, compileRules, type RuleHooks } from './rules.js';
import { createStore, type GuardStore } from './store.js';
import type {
  Decision,
  DecisionAction,
  DecisionBan,
  DecisionReason,
  GuardContext,
  GuardMode,
  GuardOptions,
  GuardRule,
  RuleStage,
} from './types.js';

/** Repeated errors from user functions and background work are logged at most once per this interval. */
const NO_LOGS: readonly string[] = Object.freeze([]);

/** Counters for monitoring. */
export interface GuardStats {
  /** Rate-limit keys held in process memory (memory counters and Redis insurance counters), at most `maxKeys`. */
  readonly trackedKeys: number;
  /** Entries in the local blocklist copy, including expired ones not yet swept. */
  readonly blocklistSize: number;
  /** False while the Redis store is down; always true for the memory store. */
  readonly storeAvailable: boolean;
  /**
   * Times the Redis store was seen going down: checked after each decision and
   * each `stats()` call. Always 0 for the memory store.
   */
  readonly storeOutages: number;
  /** Decisions of `check` and `evaluate`, for HTTP requests. */
  readonly requestDecisions: DecisionCounts;
  /** Decisions of the hook from `connectionHook()`, before the TLS handshake. */
  readonly connectionDecisions: DecisionCounts;
}

/** Quota of a rate-limit rule, for the RateLimit-Policy response header. */
export interface RateLimitPolicy {
  /** Requests allowed per window (`points`). */
  readonly limit: number;
  /** Window length in seconds (`duration`). */
  readonly windowSeconds: number;
}

/** A guard built by {@link createGuard}. */
export interface Guard {
  /**
   * Decides what to do with one request: the blocklist first, then the rules
   * in order. Resolves with a decision even when Redis is down; it rejects
   * only on an internal bug.
   */
  check(context: GuardContext): Promise<Decision>;
  /**
   * Same as {@link Guard.check}, but returns the decision without a promise
   * when no store call is needed: a blocklist hit, an `allow` or `block` rule
   * reached before any `rateLimit` rule, a key blocked in memory, or Redis
   * down under `failClosed`.
   */
  evaluate(context: GuardContext): Decision | Promise<Decision>;
  /** The dynamic blocklist. */
  readonly blocklist: GuardBlocklist;
  /** The mode given to `createGuard`. */
  readonly mode: GuardMode;
  /**
   * Resolves once the first blocklist sync from Redis has finished or failed
   * (a failure is logged as an outage). Resolves at once for the memory store.
   */
  ready(): Promise<void>;
  /** Returns counters for monitoring. */
  stats(): GuardStats;
  /**
   * Returns an `onClientHello` hook for the capture options of
   * `@ja4guard/core`. It checks the blocklist and the rules with
   * `stage: 'connection'` before the TLS handshake and drops the connection
   * on a block or an exceeded rate limit. Throws `ERR_JA4GUARD_INVALID_OPTION`
   * for a bad option.
   */
  connectionHook(options?: ConnectionHookOptions): ConnectionHook;
  /** Returns the quota of the `rateLimit` rule with this name, or null when there is none. */
  rateLimitPolicy(rule: string): RateLimitPolicy | null;
  /**
   * Returns a guard with other request-stage rules on this guard's store: the
   * same blocklist, Redis connections and in-memory key budget. With Redis, a
   * rule's counters are shared with any rule of the same name. Its `close()`
   * leaves the store open. Throws a `GuardError` for an invalid rule and
   * `ERR_JA4GUARD_INVALID_RULE` for a rule with `stage: 'connection'`.
   */
  withRules(rules: readonly GuardRule[]): Guard;
  /**
   * Stops timers and closes the blocklist subscriber connection. The Redis
   * client passed in stays open. Checks keep working on local state.
   */
  close(): Promise<void>;
}

interface LimitReport {
  readonly rule: string;
  readonly key: string;
  readonly limit: number;
  readonly remaining: number;
  readonly resetMs: number;
}

/** State collected while the rules run. */
interface EvaluationState {
  /** Rules of other stages are skipped. */
  readonly stage: RuleStage;
  logs: string[] | null;
  /** The rate limit with the fewest remaining points among those that let the request through. */
  report: LimitReport | null;
}

interface DecisionFields {
  readonly action: DecisionAction;
  readonly rule: string | null;
  readonly reason: DecisionReason | null;
  readonly key?: string | null;
  readonly limit?: number | null;
  readonly remaining?: number | null;
  readonly resetMs?: number | null;
  readonly retryAfterMs?: number | null;
  readonly ban?: DecisionBan | null;
}

class GuardImpl implements Guard {
  readonly blocklist: GuardBlocklist;
  readonly mode: GuardMode;
  private readonly enforced: boolean;
  private readonly limiters: ReadonlyArray<RuleLimiter | null>;
  private readonly banCounters: ReadonlyArray<RuleLimiter | null>;
  private readonly policies: ReadonlyMap<string, RateLimitPolicy>;
  private readonly counters: Readonly<Record<RuleStage, DecisionCounter>> = {
    request: new DecisionCounter(),
    connection: new DecisionCounter(),
  };
  private readonly countRequest = (decision: Decision): Decision => this.count(decision, 'request');
  private readonly countConnection = (decision: Decision): Decision =>
    this.count(decision, 'connection');
  private storeWasAvailable = true;
  private storeOutages = 0;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly rules: readonly CompiledRule[],
    private readonly store: GuardStore,
    private readonly options: ResolvedOptions,
    private readonly errors: ThrottledLog,
    /** False for a guard from `withRules()`, whose store belongs to another guard. */
    private readonly ownsStore = true,
  ) {
    this.blocklist = store.blocklist;
    this.mode = options.mode;
    this.enforced = options.mode === 'enforce';
    this.limiters = rules.map((rule) =>
      rule.kind === 'rateLimit'
        ? store.createLimiter({
            id: `rl:${encodeURIComponent(rule.name)}`,
            points: rule.limit.points,
            duration: rule.limit.duration,
            blockDuration: rule.limit.blockDuration,
          })
        : null,
    );
    this.banCounters = rules.map((rule) =>
      rule.kind === 'rateLimit' && rule.limit.ban !== null
        ? store.createLimiter({
            id: `ban:${encodeURIComponent(rule.name)}`,
            points: rule.limit.ban.after,
            duration: rule.limit.ban.periodSeconds,
            blockDuration: 0,
          })
        : null,
    );
    this.policies = new Map(
      rules.flatMap((rule) =>
        rule.kind === 'rateLimit'
          ? [[rule.name, { limit: rule.limit.points, windowSeconds: rule.limit.duration }]]
          : [],
      ),
    );
  }

  async check(context: GuardContext): Promise<Decision> {
    return this.evaluate(context);
  }

  evaluate(context: GuardContext): Decision | Promise<Decision> {
    const outcome = this.evaluateStage(context, 'request');
    return outcome instanceof Promise
      ? outcome.then(this.countRequest)
      : this.countRequest(outcome);
  }

  connectionHook(options?: ConnectionHookOptions): ConnectionHook {
    return buildConnectionHook(
      {
        evaluate: (context) => {
          const outcome = this.evaluateStage(context, 'connection');
          return outcome instanceof Promise
            ? outcome.then(this.countConnection)
            : this.countConnection(outcome);
        },
        logger: this.options.logger,
      },
      options,
    );
  }

  rateLimitPolicy(rule: string): RateLimitPolicy | null {
    return this.policies.get(rule) ?? null;
  }

  /** Checks the blocklist, then runs the rules of one stage. */
  private evaluateStage(context: GuardContext, stage: RuleStage): Decision | Promise<Decision> {
    const view = new RequestView(context);
    if (context.fingerprint !== null && this.store.table.size > 0) {
      const entry = this.store.table.match(view);
      if (entry !== null) {
        return this.decision(
          { action: 'block', rule: null, reason: 'blocklist', key: entry.value },
          NO_LOGS,
        );
      }
    }
    return this.runRules(view, 0, { stage, logs: null, report: null });
  }

  private count(decision: Decision, stage: RuleStage): Decision {
    this.counters[stage].count(decision);
    this.observeStore();
    return decision;
  }

  /**
   * Counts an outage when the store went from available to unavailable since the last look.
   * NOTE: an outage that starts and ends between two decisions or stats() calls, such as one
   * caused by a blocklist sync while no request arrives, is not counted.
   */
  private observeStore(): void {
    const available = this.store.isAvailable();
    if (!available && this.storeWasAvailable) {
      this.storeOutages++;
    }
    this.storeWasAvailable = available;
  }

  ready(): Promise<void> {
    return this.store.ready();
  }

  stats(): GuardStats {
    this.observeStore();
    return {
      trackedKeys: this.store.budget.size,
      blocklistSize: this.store.table.size,
      storeAvailable: this.storeWasAvailable,
      storeOutages: this.storeOutages,
      requestDecisions: this.counters.request.snapshot(),
      connectionDecisions: this.counters.connection.snapshot(),
    };
  }

  withRules(rules: readonly GuardRule[]): Guard {
    const compiled = compileRules(rules, ruleHooks(this.errors));
    const index = compiled.findIndex((rule) => rule.stage === 'connection');
    if (index !== -1) {
      throw new GuardError(GuardErrorCode.INVALID_RULE, 'Invalid rule', {
        rule: (compiled[index] as CompiledRule).name,
        option: `rules[${index}].stage`,
        value: 'connection',
        hint: "Use stage 'request': connection-stage rules run only in the connectionHook() of the guard from createGuard(), so put them in its rules.",
      });
    }
    return new GuardImpl(compiled, this.store, this.options, this.errors, false);
  }

  close(): Promise<void> {
    if (this.closing === null) {
      this.closing = this.ownsStore ? this.store.close() : Promise.resolve();
    }
    return this.closing;
  }

  /** Runs the rules from `start`; suspends on a store call and resumes after it. */
  private runRules(
    view: RequestView,
    start: number,
    state: EvaluationState,
  ): Decision | Promise<Decision> {
    for (let index = start; index < this.rules.length; index++) {
      const rule = this.rules[index] as CompiledRule;
      if (rule.stage !== state.stage || !rule.test(view)) {
        continue;
      }
      if (rule.kind === 'log') {
        state.logs ??= [];
        state.logs.push(rule.name);
        continue;
      }
      if (rule.kind !== 'rateLimit') {
        return this.decision(
          { action: rule.kind, rule: rule.name, reason: 'rule' },
          state.logs ?? NO_LOGS,
        );
      }

      const key = rule.limit.key(view);
      if (key === null) {
        continue;
      }
      const outcome = (this.limiters[index] as RuleLimiter).consume(key);
      if (outcome instanceof Promise) {
        return outcome.then(
          (settled) =>
            this.applyOutcome(view, index, key, settled, state) ??
            this.runRules(view, index + 1, state),
        );
      }
      const stop = this.applyOutcome(view, index, key, outcome, state);
      if (stop !== null) {
        return stop;
      }
    }
    return this.finalDecision(state);
  }

  /** Turns a counter result into a decision, or returns null to go on with the next rule. */
  private applyOutcome(
    view: RequestView,
    index: number,
    key: string,
    outcome: LimitOutcome,
    state: EvaluationState,
  ): Decision | Promise<Decision> | null {
    const rule = this.rules[index] as Extract<CompiledRule, { kind: 'rateLimit' }>;
    const logs = state.logs ?? NO_LOGS;
    if (outcome.status === 'unavailable') {
      return this.options.failClosed
        ? this.decision(
            { action: 'block', rule: rule.name, reason: 'store-unavailable', key },
            logs,
          )
        : null;
    }

    const { res, exceeded } = outcome;
    const { points, ban } = rule.limit;
    const resetMs = Math.max(0, res.msBeforeNext);
    if (!exceeded) {
      const remaining = res.remainingPoints;
      if (state.report === null || remaining < state.report.remaining) {
        state.report = { rule: rule.name, key, limit: points, remaining, resetMs };
      }
      return null;
    }

    const limited: DecisionFields = {
      action: 'limit',
      rule: rule.name,
      reason: 'rule',
      key,
      limit: points,
      remaining: 0,
      resetMs,
      retryAfterMs: resetMs,
    };
    // Only the call that first went over the limit in a window counts toward a ban.
    const firstExcess = res.consumedPoints === points + 1;
    if (ban === null || !firstExcess || view.context.fingerprint === null) {
      return this.decision(limited, logs);
    }
    return this.countExcess(view, index, rule.name, ban).then((banned) =>
      this.decision({ ...limited, ban: banned }, logs),
    );
  }

  /** Counts one exceeded window toward a ban and bans once the count is reached. Never rejects. */
  private async countExcess(
    view: RequestView,
    index: number,
    ruleName: string,
    ban: CompiledBan,
  ): Promise<DecisionBan | null> {
    const value = ban.scope === 'ja4' ? view.ja4 : `${view.ja4}|${view.clientIp}`;
    const counter = this.banCounters[index] as RuleLimiter;
    const count = await counter.increment(value);
    if (count === null || count < ban.after) {
      return null;
    }
    void counter.reset(value);

    try {
      parseBlocklistValue(value);
    } catch (error) {
      this.errors.error(
        `ban-value:${ruleName}`,
        { rule: ruleName, value, err: error },
        'Skipped a ban whose value is not a valid blocklist value',
      );
      return null;
    }
    if (this.enforced) {
      const windows = ban.after === 1 ? '1 window' : `${ban.after} windows`;
      const reason = `rate limit "${ruleName}" exceeded in ${windows}`;
      this.blocklist.add(value, { ttlSeconds: ban.ttlSeconds, reason }).catch((error: unknown) => {
        this.errors.error(
          `ban-store:${ruleName}`,
          { rule: ruleName, value, err: error },
          'Could not store a ban in the shared blocklist; it applies to this instance only',
        );
      });
    }
    return { value, ttlSeconds: ban.ttlSeconds };
  }

  private finalDecision(state: EvaluationState): Decision {
    const report = state.report;
    return this.decision(
      {
        action: state.logs === null ? 'pass' : 'log',
        rule: report?.rule ?? null,
        reason: null,
        key: report?.key ?? null,
        limit: report?.limit ?? null,
        remaining: report?.remaining ?? null,
        resetMs: report?.resetMs ?? null,
      },
      state.logs ?? NO_LOGS,
    );
  }

  private decision(fields: DecisionFields, logs: readonly string[]): Decision {
    return {
      action: fields.action,
      rule: fields.rule,
      reason: fields.reason,
      enforced: this.enforced,
      key: fields.key ?? null,
      limit: fields.limit ?? null,
      remaining: fields.remaining ?? null,
      resetMs: fields.resetMs ?? null,
      retryAfterMs: fields.retryAfterMs ?? null,
      logs,
      ban: fields.ban ?? null,
    };
  }
}

/**
 * Creates a guard. Validates every option and rule, compiles JA4 patterns, IP
 * ranges and lists, and with Redis opens the blocklist subscriber and starts
 * the first sync. Throws a `GuardError` (see ERRORS.md) on invalid input.
 */
export function createGuard(options?: GuardOptions): Guard {
  const resolved = resolveOptions(options);
  const errors = new ThrottledLog(resolved.logger, ERROR_LOG_INTERVAL_MS);
  const rules = compileRules(options?.rules, ruleHooks(errors));
  const store = createStore(resolved, errors);
  return new GuardImpl(rules, store, resolved, errors);
}

/** Logs errors of rule predicates and key functions, throttled per rule. */
function ruleHooks(errors: ThrottledLog): RuleHooks {
  return {
    onPredicateError: (rule, error) =>
      errors.error(
        `predicate:${rule}`,
        { rule, err: error },
        'A rule predicate threw; the rule counts as not matching',
      ),
    onKeyError: (rule, error) =>
      errors.error(
        `key:${rule}`,
        { rule, err: error },
        'A rate-limit key function failed; the rule is skipped for this request',
      ),
  };
}
