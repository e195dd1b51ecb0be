import type { CaptureStats } from '@ja4guard/core';
import type * as PromClient from 'prom-client';
import { GuardError, GuardErrorCode } from '../errors.js';
import type { GuardStats } from '../guard.js';
import type { HeaderSourceStats } from '../http/trusted-header.js';
import type { RuleStage } from '../types.js';
import type { DecisionCounts } from './decision-counters.js';
import type { MetricsSources, StatsSource } from './metrics.js';

/** Default of `prefix`. */
export const DEFAULT_METRICS_PREFIX = 'ja4guard_';

// Prometheus data model: metric names match [a-zA-Z_:][a-zA-Z0-9_:]*.
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const ACTIONS = ['allow', 'block', 'limit', 'log', 'pass'] as const;
const NOT_TLS_KINDS = ['http', 'proxy-header', 'tls-record', 'other'] as const;
const OPTION_KEYS: ReadonlySet<string> = new Set([
  'register',
  'client',
  'prefix',
  'capture',
  'guard',
  'headerSource',
]);

/** The parts of a prom-client `Registry` that are used; a `Registry` from prom-client 15 fits. */
export interface PrometheusRegistry {
  registerMetric(metric: never): void;
  removeSingleMetric(name: string): void;
}

/** The parts of the prom-client module that are used: `import * as client from 'prom-client'` fits. */
export interface PrometheusClient {
  readonly Counter: abstract new (...args: never[]) => unknown;
  readonly Gauge: abstract new (...args: never[]) => unknown;
  readonly register: PrometheusRegistry;
}

/** Options of {@link registerPrometheusMetrics}. */
export interface PrometheusOptions extends MetricsSources {
  /** Registry that receives the metrics. Default: prom-client's global `register`. */
  readonly register?: PrometheusRegistry;
  /**
   * The prom-client module. Default: loaded with a dynamic `import('prom-client')`,
   * so `@ja4guard/guard` does not depend on it unless this function is called.
   */
  readonly client?: PrometheusClient;
  /** Start of every metric name. Default `'ja4guard_'`. */
  readonly prefix?: string;
}

/** Metrics added by {@link registerPrometheusMetrics}. */
export interface PrometheusMetrics {
  /** Full names of the registered metrics. */
  readonly names: readonly string[];
  /** Removes the metrics from the registry. */
  unregister(): void;
}

type Labels = Readonly<Record<string, string>>;
type Sample = readonly [labels: Labels, value: number];

/** One metric, read from one source's stats at scrape time. */
interface MetricSpec<Stats> {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly labelNames?: readonly string[];
  readonly samples: (stats: Stats) => readonly Sample[];
}

const NO_LABELS: Labels = Object.freeze({});

function single(value: number): readonly Sample[] {
  return [[NO_LABELS, value]];
}

const CAPTURE_METRICS: ReadonlyArray<MetricSpec<CaptureStats>> = [
  {
    name: 'capture_fingerprinted_total',
    help: 'Connections whose ClientHello was fingerprinted.',
    type: 'counter',
    samples: (stats) => single(stats.captured),
  },
  {
    name: 'capture_not_tls_total',
    help: 'Connections whose first bytes were not TLS, by what they look like.',
    type: 'counter',
    labelNames: ['kind'],
    samples: (stats) => NOT_TLS_KINDS.map((kind) => [{ kind }, stats.notTlsByKind[kind] ?? 0]),
  },
  {
    name: 'capture_sslv2_total',
    help: 'Connections that opened with an SSL 2.0-compatible hello.',
    type: 'counter',
    samples: (stats) => single(stats.sslv2),
  },
  {
    name: 'capture_malformed_total',
    help: 'Complete but malformed ClientHellos, by parse error code.',
    type: 'counter',
    labelNames: ['code'],
    samples: (stats) =>
      Object.entries(stats.malformedByCode).map(([code, n]) => [{ code }, n ?? 0]),
  },
  {
    name: 'capture_timed_out_total',
    help: 'Connections closed because the ClientHello did not complete in time.',
    type: 'counter',
    samples: (stats) => single(stats.timedOut),
  },
  {
    name: 'capture_oversized_total',
    help: 'Connections closed because the ClientHello exceeded the byte cap.',
    type: 'counter',
    samples: (stats) => single(stats.oversized),
  },
  {
    name: 'capture_incomplete_total',
    help: 'Connections closed by the client before the ClientHello was complete.',
    type: 'counter',
    samples: (stats) => single(stats.incomplete),
  },
  {
    name: 'capture_dropped_total',
    help: 'Connections closed by the onClientHello hook before the TLS handshake.',
    type: 'counter',
    samples: (stats) => single(stats.dropped),
  },
  {
    name: 'capture_hook_failed_total',
    help: 'Connections accepted because the onClientHello hook threw, rejected or timed out.',
    type: 'counter',
    samples: (stats) => single(stats.hookFailed),
  },
  {
    name: 'capture_proxy_headers_total',
    help: 'PROXY protocol headers accepted, and connections closed for a missing, invalid or untrusted one.',
    type: 'counter',
    labelNames: ['result'],
    samples: (stats) => [
      [{ result: 'accepted' }, stats.proxyAccepted],
      [{ result: 'rejected' }, stats.proxyRejected],
    ],
  },
  {
    name: 'capture_pending',
    help: 'Connections whose ClientHello is being read.',
    type: 'gauge',
    samples: (stats) => single(stats.pending),
  },
];

function byStage(
  stats: GuardStats,
  read: (counts: DecisionCounts, stage: RuleStage) => readonly Sample[],
): readonly Sample[] {
  return [
    ...read(stats.requestDecisions, 'request'),
    ...read(stats.connectionDecisions, 'connection'),
  ];
}

const GUARD_METRICS: ReadonlyArray<MetricSpec<GuardStats>> = [
  {
    name: 'decisions_total',
    help: 'Guard decisions by stage and action; dry-run decisions count under the action they would take.',
    type: 'counter',
    labelNames: ['stage', 'action'],
    samples: (stats) =>
      byStage(stats, (counts, stage) =>
        ACTIONS.map((action) => [{ stage, action }, counts.byAction[action]]),
      ),
  },
  {
    name: 'rule_decisions_total',
    help: 'Decisions per rule: allow, block and limit taken by the rule, pass under its rate limit, log when it matched.',
    type: 'counter',
    labelNames: ['stage', 'rule', 'action'],
    samples: (stats) =>
      byStage(stats, (counts, stage) =>
        Object.entries(counts.byRule).flatMap(([rule, actions]) =>
          Object.entries(actions).map(([action, n]): Sample => [{ stage, rule, action }, n ?? 0]),
        ),
      ),
  },
  {
    name: 'blocklist_hits_total',
    help: 'Decisions taken because of a blocklist entry, by stage.',
    type: 'counter',
    labelNames: ['stage'],
    samples: (stats) => byStage(stats, (counts, stage) => [[{ stage }, counts.blocklist]]),
  },
  {
    name: 'store_unavailable_blocks_total',
    help: 'Blocks because the Redis store was unavailable under failClosed, by stage.',
    type: 'counter',
    labelNames: ['stage'],
    samples: (stats) => byStage(stats, (counts, stage) => [[{ stage }, counts.storeUnavailable]]),
  },
  {
    name: 'store_outages_total',
    help: 'Times the Redis store was seen going down.',
    type: 'counter',
    samples: (stats) => single(stats.storeOutages),
  },
  {
    name: 'store_available',
    help: '1 while the store replies, 0 while the Redis store is down.',
    type: 'gauge',
    samples: (stats) => single(stats.storeAvailable ? 1 : 0),
  },
  {
    name: 'blocklist_entries',
    help: 'Entries in the local blocklist copy, including expired ones not yet swept.',
    type: 'gauge',
    samples: (stats) => single(stats.blocklistSize),
  },
  {
    name: 'tracked_keys',
    help: 'Rate-limit keys held in process memory.',
    type: 'gauge',
    samples: (stats) => single(stats.trackedKeys),
  },
];

const HEADER_METRICS: ReadonlyArray<MetricSpec<HeaderSourceStats>> = [
  {
    name: 'header_fingerprints_total',
    help: 'Requests by what happened to the fingerprint header of a trusted proxy.',
    type: 'counter',
    labelNames: ['result'],
    samples: (stats) => [
      [{ result: 'accepted' }, stats.accepted],
      [{ result: 'rejected_untrusted' }, stats.rejectedUntrusted],
      [{ result: 'rejected_invalid' }, stats.rejectedInvalid],
      [{ result: 'missing_from_trusted' }, stats.missingFromTrusted],
    ],
  },
];

function invalidOption(option: string, value: unknown, hint: string, cause?: unknown): GuardError {
  return new GuardError(GuardErrorCode.INVALID_OPTION, 'Invalid metrics option', {
    option,
    value,
    hint,
    cause,
  });
}

async function loadClient(client: PrometheusClient | undefined): Promise<typeof PromClient> {
  if (client !== undefined) {
    if (typeof client?.Counter !== 'function' || typeof client.Gauge !== 'function') {
      throw invalidOption(
        'client',
        client,
        "Pass the prom-client module: import * as client from 'prom-client'.",
      );
    }
    return client as unknown as typeof PromClient;
  }
  let loaded: typeof PromClient & { readonly default?: unknown };
  try {
    loaded = (await import('prom-client')) as typeof PromClient & { readonly default?: unknown };
  } catch (error) {
    throw invalidOption(
      'client',
      undefined,
      'prom-client could not be loaded; install it (npm install prom-client) or pass the module as client.',
      error,
    );
  }
  // prom-client is CommonJS; depending on the loader its exports are on the namespace or on `default`.
  return typeof loaded.Counter === 'function' ? loaded : (loaded.default as typeof PromClient);
}

function checkOptions(options: PrometheusOptions): string {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption('options', options, 'Pass { register, capture?, guard?, headerSource? }.');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw invalidOption(key, key, `Unknown option; use one of ${[...OPTION_KEYS].join(', ')}.`);
    }
  }
  const prefix = options.prefix ?? DEFAULT_METRICS_PREFIX;
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_NAME.test(prefix))) {
    throw invalidOption(
      'prefix',
      prefix,
      'Use letters, digits, "_" and ":", not starting with a digit.',
    );
  }
  for (const name of ['capture', 'guard', 'headerSource'] as const) {
    const source = options[name];
    if (source !== undefined && typeof source?.stats !== 'function') {
      throw invalidOption(name, source, 'Pass an object with a stats() method, or leave it out.');
    }
  }
  if (
    options.capture === undefined &&
    options.guard === undefined &&
    options.headerSource === undefined
  ) {
    throw invalidOption(
      'options',
      options,
      'Pass at least one of capture, guard and headerSource.',
    );
  }
  if (options.register !== undefined && typeof options.register?.registerMetric !== 'function') {
    throw invalidOption(
      'register',
      options.register,
      'Pass a prom-client Registry, or leave it out for the global one.',
    );
  }
  return prefix;
}

/** Creates one metric whose values are read from `source` each time the registry is scraped. */
function createMetric<Stats>(
  client: typeof PromClient,
  register: PromClient.Registry,
  name: string,
  spec: MetricSpec<Stats>,
  source: StatsSource<Stats>,
): void {
  const configuration = {
    name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [register],
  };
  if (spec.type === 'counter') {
    new client.Counter({
      ...configuration,
      collect(this: PromClient.Counter) {
        // A counter cannot be set, so it is cleared and raised to the source's total.
        this.reset();
        for (const [labels, value] of spec.samples(source.stats())) {
          this.inc(labels, value);
        }
      },
    });
    return;
  }
  new client.Gauge({
    ...configuration,
    collect(this: PromClient.Gauge) {
      this.reset();
      for (const [labels, value] of spec.samples(source.stats())) {
        this.set(labels, value);
      }
    },
  });
}

/**
 * Registers Prometheus metrics for the given sources. Values are read
 * through collect callbacks when the registry is scraped, so requests pay
 * nothing. Rejects with `ERR_JA4GUARD_INVALID_OPTION` for a bad option, a
 * metric name that is already registered, or prom-client missing.
 */
export async function registerPrometheusMetrics(
  options: PrometheusOptions,
): Promise<PrometheusMetrics> {
  const prefix = checkOptions(options);
  const client = await loadClient(options.client);
  const register = (options.register ?? client.register) as PromClient.Registry;

  const names: string[] = [];
  const unregister = (): void => {
    for (const name of names) {
      register.removeSingleMetric(name);
    }
  };
  const addGroup = <Stats>(
    specs: ReadonlyArray<MetricSpec<Stats>>,
    source: StatsSource<Stats> | undefined,
  ): void => {
    if (source === undefined) {
      return;
    }
    for (const spec of specs) {
      const name = `${prefix}${spec.name}`;
      try {
        createMetric(client, register, name, spec, source);
      } catch (error) {
        unregister();
        throw invalidOption(
          'prefix',
          name,
          'A metric with this name is already registered; call unregister() on the earlier registration or choose another prefix.',
          error,
        );
      }
      names.push(name);
    }
  };

  addGroup(CAPTURE_METRICS, options.capture);
  addGroup(GUARD_METRICS, options.guard);
  addGroup(HEADER_METRICS, options.headerSource);
  return { names, unregister };
}
