import type { CaptureStats } from '@ja4guard/core';
import type { GuardStats } from '../guard.js';
import type { HeaderSourceStats } from '../http/trusted-header.js';

/** Anything with a `stats()` method: a capture from `@ja4guard/core`, a guard or a header source. */
export interface StatsSource<Stats> {
  stats(): Stats;
}

/** Sources of {@link collectMetrics} and `registerPrometheusMetrics`; each is optional. */
export interface MetricsSources {
  /** The capture returned by `attach()` or `getCapture()` of `@ja4guard/core`. */
  readonly capture?: StatsSource<CaptureStats>;
  readonly guard?: StatsSource<GuardStats>;
  /** The source returned by `createHeaderSource()`. */
  readonly headerSource?: StatsSource<HeaderSourceStats>;
}

/** Counters of every source at one moment; a section is null when its source was not given. */
export interface MetricsSnapshot {
  /**
   * ClientHello capture: connections fingerprinted, not TLS (by kind),
   * malformed (by parse error code), timed out, oversized, dropped by the
   * connection hook before the handshake, PROXY headers accepted and rejected.
   */
  readonly capture: CaptureStats | null;
  /** Guard: decisions by stage, action and rule, store outages, blocklist size, tracked keys. */
  readonly guard: GuardStats | null;
  /** Trusted fingerprint header: accepted and rejected headers. */
  readonly headerSource: HeaderSourceStats | null;
}

/**
 * Returns one plain-object snapshot of the counters of the given sources,
 * ready for JSON or a health endpoint. Each call copies the counters, so the
 * cost is paid per call, not per request.
 */
export function collectMetrics(sources: MetricsSources): MetricsSnapshot {
  return {
    capture: sources.capture?.stats() ?? null,
    guard: sources.guard?.stats() ?? null,
    headerSource: sources.headerSource?.stats() ?? null,
  };
}
