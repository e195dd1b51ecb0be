import { createGuard, type Guard, type RateLimitPolicy } from '../guard.js';
import { createDecisionResponder } from '../http/response.js';
import { createHeaderSource, type HeaderSource } from '../http/trusted-header.js';
import { ThrottledLog } from '../log.js';
import type { GuardLogger } from '../types.js';
import { DecisionStep, type DecisionStepSettings } from './decision-step.js';
import type { InvalidOption } from './errors.js';
import {
  type AdapterLogger,
  DECISION_LOG_LEVELS,
  type DecisionLogLevel,
  type EnforcementOptions,
  GUARD_OPTION_NAMES,
  type GuardCreationOptions,
  type PrometheusAdapterOptions,
  type TrustedHeaderOptions,
} from './options.js';

/** Settings that act on decisions, so they need a guard. */
const SETTINGS_NEEDING_GUARD = [
  'rateLimitHeaders',
  'headersOnPass',
  'buildBody',
  'decisionLogLevel',
  'onDecision',
  'onBlocked',
  'onLimited',
] as const;
const HOOK_NAMES = ['buildBody', 'onDecision', 'onBlocked', 'onLimited'] as const;

/** Inputs of {@link createEnforcement} from the adapter. */
export interface EnforcementEnvironment {
  /** App logger: guard outages, header warnings, hook and check errors. Null for none. */
  readonly logger: AdapterLogger | null;
  readonly invalidOption: InvalidOption;
}

/** The guard side of an adapter, built once at registration. */
export interface Enforcement<Request> {
  /** The guard, or null when the adapter only fingerprints. */
  readonly guard: Guard | null;
  /** Whether the adapter created the guard, and so must close it. */
  readonly ownsGuard: boolean;
  /** Options of the guard the adapter created; null when it received a guard or has none. */
  readonly guardOptions: GuardCreationOptions | null;
  readonly headerSource: HeaderSource | null;
  /** The decision step, or null without a guard. */
  readonly step: DecisionStep<Request> | null;
  readonly prometheus: PrometheusAdapterOptions | null;
  /** The logger from the environment, also given to guards the adapter creates later. */
  readonly logger: AdapterLogger | null;
  /** Error log for hook, check and background failures, throttled per key. */
  readonly errors: ThrottledLog;
  /**
   * Guards whose rate-limit rules fill the `w` parameter of RateLimit-Policy,
   * searched in order. Guards added later (per-route guards) are seen too.
   */
  readonly policyGuards: Guard[];
}

/**
 * Checks the enforcement options and builds the header source, the responder
 * and the guard, in that order, so that an invalid option throws before a
 * guard (and with Redis its subscriber connection) exists.
 *
 * @throws the adapter's option error, or `GuardError` from @ja4guard/guard for invalid guard, rule, header or response options.
 */
export function createEnforcement<Request>(
  options: EnforcementOptions<Request>,
  environment: EnforcementEnvironment,
): Enforcement<Request> {
  const { logger, invalidOption } = environment;
  const passedGuard = readGuardOption(options, invalidOption);
  const enforce = passedGuard !== null || options.rules !== undefined;
  checkSettings(options, enforce, invalidOption);

  const errors = new ThrottledLog(logger);
  const headerSource =
    options.trustedHeader === undefined
      ? null
      : createTrustedHeader(options, logger, invalidOption);
  const prometheus = readPrometheus(options, invalidOption);
  if (!enforce) {
    return {
      guard: null,
      ownsGuard: false,
      guardOptions: null,
      headerSource,
      step: null,
      prometheus,
      logger,
      errors,
      policyGuards: [],
    };
  }

  const policyGuards: Guard[] = [];
  const settings = createStepSettings(options, policyGuards);
  const guardOptions = passedGuard === null ? pickGuardOptions(options) : null;
  const guard = passedGuard ?? createGuard({ ...guardOptions, logger: guardLogger(logger) });
  policyGuards.push(guard);
  return {
    guard,
    ownsGuard: passedGuard === null,
    guardOptions,
    headerSource,
    step: new DecisionStep(guard, settings, errors),
    prometheus,
    logger,
    errors,
    policyGuards,
  };
}

/** Returns the logger when it has the three methods the guard calls, or undefined. */
export function guardLogger(logger: AdapterLogger | null): GuardLogger | undefined {
  if (
    typeof logger?.info === 'function' &&
    typeof logger.warn === 'function' &&
    typeof logger.error === 'function'
  ) {
    return logger as unknown as GuardLogger;
  }
  return undefined;
}

/** Returns the `guard` option, or null. Throws when guard options are given next to it. */
function readGuardOption<Request>(
  options: EnforcementOptions<Request>,
  invalidOption: InvalidOption,
): Guard | null {
  const guard: unknown = options.guard;
  if (guard === undefined) {
    return null;
  }
  const candidate = guard as Partial<Record<keyof Guard, unknown>> | null;
  if (
    typeof candidate?.evaluate !== 'function' ||
    typeof candidate.connectionHook !== 'function' ||
    typeof candidate.close !== 'function'
  ) {
    throw invalidOption('guard', guard, 'a guard made with createGuard() from @ja4guard/guard');
  }
  for (const name of GUARD_OPTION_NAMES) {
    const value: unknown = options[name];
    if (value !== undefined) {
      throw invalidOption(
        name,
        value,
        `no ${name} next to guard: ${name} is an option of createGuard(), so set it where the guard is created, or leave guard out and pass ${name} here`,
      );
    }
  }
  return guard as Guard;
}

function checkSettings<Request>(
  options: EnforcementOptions<Request>,
  enforce: boolean,
  invalidOption: InvalidOption,
): void {
  if (!enforce) {
    for (const name of [...GUARD_OPTION_NAMES, ...SETTINGS_NEEDING_GUARD]) {
      const value: unknown = options[name];
      if (value !== undefined) {
        throw invalidOption(
          name,
          value,
          `rules or guard next to ${name}, because ${name} has no effect without a guard (pass rules: [] for a blocklist only)`,
        );
      }
    }
    return;
  }
  const level: unknown = options.decisionLogLevel;
  if (level !== undefined && level !== false && !DECISION_LOG_LEVELS.includes(level as never)) {
    throw invalidOption(
      'decisionLogLevel',
      level,
      `false or one of ${DECISION_LOG_LEVELS.join(', ')}`,
    );
  }
  for (const name of HOOK_NAMES) {
    const hook: unknown = options[name];
    if (hook !== undefined && typeof hook !== 'function') {
      throw invalidOption(name, hook, 'a function (decision, request)');
    }
  }
}

function createTrustedHeader<Request>(
  options: EnforcementOptions<Request>,
  logger: AdapterLogger | null,
  invalidOption: InvalidOption,
): HeaderSource {
  const trustedHeader: unknown = options.trustedHeader;
  if (typeof trustedHeader !== 'object' || trustedHeader === null) {
    throw invalidOption('trustedHeader', trustedHeader, '{ header or preset, trustedProxies }');
  }
  const warn = logger?.warn;
  return createHeaderSource({
    ...(trustedHeader as TrustedHeaderOptions),
    logger:
      warn === undefined ? undefined : ({ warn: warn.bind(logger) } as Pick<GuardLogger, 'warn'>),
  });
}

function readPrometheus<Request>(
  options: EnforcementOptions<Request>,
  invalidOption: InvalidOption,
): PrometheusAdapterOptions | null {
  const prometheus: unknown = options.prometheus;
  if (prometheus === undefined) {
    return null;
  }
  if (typeof prometheus !== 'object' || prometheus === null) {
    throw invalidOption('prometheus', prometheus, '{ register, client, prefix }, each optional');
  }
  return prometheus as PrometheusAdapterOptions;
}

function createStepSettings<Request>(
  options: EnforcementOptions<Request>,
  policyGuards: readonly Guard[],
): DecisionStepSettings<Request> {
  const policies = {
    rateLimitPolicy(rule: string): RateLimitPolicy | null {
      for (const guard of policyGuards) {
        const policy = guard.rateLimitPolicy(rule);
        if (policy !== null) {
          return policy;
        }
      }
      return null;
    },
  };
  const responseOptions = {
    rateLimitHeaders: options.rateLimitHeaders,
    headersOnPass: options.headersOnPass,
    guard: policies,
  };
  const buildBody = options.buildBody;
  return {
    responder: createDecisionResponder<Request>({ ...responseOptions, buildBody }),
    fallbackResponder:
      buildBody === undefined ? null : createDecisionResponder<Request>(responseOptions),
    logLevel: (options.decisionLogLevel ?? 'info') as DecisionLogLevel | false,
    onDecision: options.onDecision,
    onBlocked: options.onBlocked,
    onLimited: options.onLimited,
    failClosed: options.failClosed === true,
  };
}

/** Copies the guard options that were given, so that unset ones keep the guard's defaults. */
function pickGuardOptions<Request>(options: EnforcementOptions<Request>): GuardCreationOptions {
  const picked: Record<string, unknown> = {};
  for (const name of GUARD_OPTION_NAMES) {
    if (options[name] !== undefined) {
      picked[name] = options[name];
    }
  }
  return picked as GuardCreationOptions;
}
