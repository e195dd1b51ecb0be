import type {
  Decision,
  DecisionCounts,
  Enforcement,
  Guard,
  GuardStats,
  InvalidOption,
} from '@ja4guard/guard';
import type { FastifyRequest, RouteOptions } from 'fastify';
import type { RouteGuardConfig } from './types.js';

/** Actions a route rule may not take, with the reason given in the error. */
const REJECTED_ACTIONS: Readonly<Record<string, string>> = {
  allow:
    'block, rateLimit or log: an allow rule would skip the app rules and the blocklist; use config: { ja4guard: false } to exempt a route, or a not condition',
};

/**
 * The guards of routes registered with `config: { ja4guard: { rules } }`.
 * Each guard is built once, in the `onRoute` hook, with `withRules()` of the
 * app guard, so it uses the app guard's store: the same blocklist, Redis
 * connections and `maxKeys` budget. Routes that share one `config.ja4guard`
 * object share its guard and counters.
 */
export class RouteGuards {
  /** True once a route with a `config.ja4guard` setting was registered; until then requests skip the lookup. */
  configured = false;
  readonly #enforcement: Enforcement<FastifyRequest>;
  readonly #invalidOption: InvalidOption;
  readonly #byConfig = new WeakMap<object, Guard | null>();
  readonly #guards: Guard[] = [];
  /** Rule name → the `config.ja4guard` object that uses it, or null for the app's rules. */
  readonly #ruleOwners = new Map<string, object | null>();

  constructor(enforcement: Enforcement<FastifyRequest>, invalidOption: InvalidOption) {
    this.#enforcement = enforcement;
    this.#invalidOption = invalidOption;
    for (const rule of enforcement.guardOptions?.rules ?? []) {
      this.#ruleOwners.set(rule.name, null);
    }
  }

  /**
   * Checks a route's `config.ja4guard` and builds its guard; called by the
   * `onRoute` hook. Throws the plugin's option error or a `GuardError`.
   */
  register(route: RouteOptions): void {
    const setting: unknown = route.config?.ja4guard;
    if (setting === undefined) {
      return;
    }
    this.configured = true;
    if (setting === false) {
      return;
    }
    const option = `config.ja4guard of route ${describeRoute(route)}`;
    const rules = this.#readRules(setting, option);
    if (this.#byConfig.has(setting as object)) {
      return;
    }
    this.#claimRuleNames(rules, setting as object, option);
    const guard = rules.length === 0 ? null : this.#createGuard(rules);
    this.#byConfig.set(setting as object, guard);
  }

  /**
   * Returns the guard of a route's `config.ja4guard` object, or undefined
   * when the route has none. A setting that `register` never saw belongs to
   * a route added before the plugin: it is logged once, and only the app
   * rules apply to that route.
   */
  lookup(setting: RouteGuardConfig): Guard | undefined {
    const guard = this.#byConfig.get(setting);
    if (guard === undefined) {
      this.#warnUnregistered(setting);
    }
    return guard ?? undefined;
  }

  /** Returns the app guard's counters with the route guards' decisions added in. */
  stats(guard: Guard): GuardStats {
    const own = guard.stats();
    if (this.#guards.length === 0) {
      return own;
    }
    return mergeStats(
      own,
      this.#guards.map((routeGuard) => routeGuard.stats()),
    );
  }

  /** Closes every route guard. The store stays open, because it belongs to the app guard. */
  async close(): Promise<void> {
    await Promise.all(this.#guards.map((guard) => guard.close()));
  }

  #warnUnregistered(setting: RouteGuardConfig): void {
    if (this.#byConfig.has(setting)) {
      return;
    }
    // Remembered as a route without a guard, so the warning is written once.
    this.#byConfig.set(setting, null);
    this.#enforcement.logger?.warn?.(
      { rules: Array.isArray(setting.rules) ? setting.rules.map((rule) => rule.name) : null },
      'ja4guard: a route has config.ja4guard rules but was added before the plugin was registered, so only the app rules apply to it; register the plugin before the routes',
    );
  }

  #readRules(setting: unknown, option: string): RouteGuardConfig['rules'] {
    const rules = (setting as { rules?: unknown } | null)?.rules;
    const keys = typeof setting === 'object' && setting !== null ? Object.keys(setting) : [];
    if (!Array.isArray(rules) || keys.some((key) => key !== 'rules')) {
      throw this.#invalidOption(option, setting, 'false, or { rules } with a list of rules');
    }
    if (this.#enforcement.guard === null) {
      throw this.#invalidOption(
        option,
        setting,
        'a plugin with rules or guard: route rules run next to the app rules, so register the plugin with rules (rules: [] for none) or guard',
      );
    }
    rules.forEach((rule: unknown, index) => {
      checkRouteRule(rule, `${option}.rules[${index}]`, this.#invalidOption);
    });
    return rules as RouteGuardConfig['rules'];
  }

  #claimRuleNames(rules: RouteGuardConfig['rules'], owner: object, option: string): void {
    for (const [index, rule] of rules.entries()) {
      if (typeof rule.name !== 'string') {
        continue;
      }
      const current = this.#ownerOf(rule.name);
      if (current !== undefined && current !== owner) {
        throw this.#invalidOption(
          `${option}.rules[${index}].name`,
          rule.name,
          `a rule name not used by ${current === null ? 'the app rules' : 'another route'}, because with Redis a rule name names its counters`,
        );
      }
    }
    for (const rule of rules) {
      this.#ruleOwners.set(rule.name, owner);
    }
  }

  /**
   * Returns the `config.ja4guard` object that uses a rule name, null for the
   * app rules, or undefined when the name is free. Of a guard passed with the
   * `guard` option only the rate-limit rule names can be read, so its other
   * rule names count as free.
   */
  #ownerOf(name: string): object | null | undefined {
    const owner = this.#ruleOwners.get(name);
    if (owner === undefined && this.#enforcement.guard?.rateLimitPolicy(name) !== null) {
      return null;
    }
    return owner;
  }

  #createGuard(rules: RouteGuardConfig['rules']): Guard {
    const enforcement = this.#enforcement;
    // #readRules rejects route rules when the app has no guard.
    const guard = (enforcement.guard as Guard).withRules(rules);
    this.#guards.push(guard);
    enforcement.policyGuards.push(guard);
    return guard;
  }
}

/** Combines the decision of a route guard that let the request go on with the app guard's decision. */
export function mergeDecisions(route: Decision, app: Decision): Decision {
  const routeReport = route.limit !== null;
  if (route.logs.length === 0 && !routeReport) {
    return app;
  }
  const logs = route.logs.length === 0 ? app.logs : [...route.logs, ...app.logs];
  if (app.action !== 'pass' && app.action !== 'log') {
    return { ...app, logs };
  }
  // Report the rate limit with the fewest requests left, as one guard does across its rules.
  const useRoute =
    routeReport && (app.remaining === null || (route.remaining ?? 0) < app.remaining);
  const report = useRoute ? route : app;
  return {
    ...app,
    action: logs.length > 0 ? 'log' : 'pass',
    rule: report.rule,
    key: report.key,
    limit: report.limit,
    remaining: report.remaining,
    resetMs: report.resetMs,
    logs,
  };
}

function checkRouteRule(rule: unknown, option: string, invalidOption: InvalidOption): void {
  if (typeof rule !== 'object' || rule === null) {
    return; // createGuard() reports the shape.
  }
  const { action, stage } = rule as { action?: unknown; stage?: unknown };
  const reason = typeof action === 'string' ? REJECTED_ACTIONS[action] : undefined;
  if (reason !== undefined) {
    throw invalidOption(`${option}.action`, action, reason);
  }
  if (stage === 'connection') {
    throw invalidOption(
      `${option}.stage`,
      stage,
      "'request': connection-stage rules run before any route is known, so put them in the plugin rules",
    );
  }
}

function describeRoute(route: RouteOptions): string {
  const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
  return `${method} ${route.url}`;
}

function sumCounts(total: DecisionCounts, route: DecisionCounts): DecisionCounts {
  return {
    // A route guard's pass and log decisions go on to the app guard, which counts them again.
    byAction: {
      ...total.byAction,
      block: total.byAction.block + route.byAction.block,
      limit: total.byAction.limit + route.byAction.limit,
    },
    byRule: { ...total.byRule, ...route.byRule },
    blocklist: total.blocklist + route.blocklist,
    storeUnavailable: total.storeUnavailable + route.storeUnavailable,
  };
}

function mergeStats(app: GuardStats, routes: readonly GuardStats[]): GuardStats {
  let requestDecisions = app.requestDecisions;
  let storeAvailable = app.storeAvailable;
  let storeOutages = app.storeOutages;
  for (const route of routes) {
    requestDecisions = sumCounts(requestDecisions, route.requestDecisions);
    storeAvailable &&= route.storeAvailable;
    // All guards use one store and so count the same outages, and the largest count is their number.
    storeOutages = Math.max(storeOutages, route.storeOutages);
  }
  // trackedKeys needs no sum, because route guards count their keys in the app guard's budget.
  return { ...app, requestDecisions, storeAvailable, storeOutages };
}
