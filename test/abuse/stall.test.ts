// Many clients that send half a ClientHello and stall. Each run happens in a
// child process started with --expose-gc (see stall-run.ts), so the heap is
// compared after full garbage collections and vitest's own allocations do not
// count.

import { describe, expect, it } from 'vitest';
import type { StallReport } from './stall-run.js';
import { runChild } from './support.js';

const HELLO_TIMEOUT_MS = 1_500;
/** Time after the deadline by which every stalled connection must be closed. */
const CLOSE_MARGIN_MS = 1_000;
/**
 * Node starts a timer from the event loop's cached clock, which lags behind
 * the real time by the work already done in the current loop turn. So a
 * connection accepted late in a busy turn can close slightly before the
 * deadline, measured from its own 'connection' event.
 */
const EARLY_TOLERANCE_MS = 50;
const PROBE_LATENCY_LIMIT_MS = 1_000;
const HEAP_GROWTH_LIMIT = 0.1;

async function runStall(server: 'https' | 'http2', clients: number): Promise<StallReport> {
  const report = await runChild<StallReport>(
    'stall-run.ts',
    [
      '--server',
      server,
      '--clients',
      String(clients),
      '--hello-timeout-ms',
      String(HELLO_TIMEOUT_MS),
    ],
    // Each stalled client uses two descriptors in the child: its own socket and the server's.
    { timeoutMs: 50_000, minOpenFiles: 2 * clients + 256 },
  );
  const sorted = [...report.serverOpenMs].sort((a, b) => a - b);
  console.log(
    `${server} stall: ${clients} clients opened in ${report.openMs.toFixed(0)} ms, ` +
      `closed after ${sorted[0]?.toFixed(0)}..${sorted.at(-1)?.toFixed(0)} ms (server side), ` +
      `probe latency ${report.probes.map((probe) => probe.latencyMs.toFixed(1)).join('/')} ms, ` +
      `heap used ${report.heapBefore.heapUsed} -> ${report.heapAfter.heapUsed} bytes, ` +
      `ulimit -n ${report.openFileLimit}`,
  );
  return report;
}

function checkStallReport(report: StallReport, clients: number): void {
  expect(report.coreModule).toMatch(/packages\/core\/src\/index\.ts$/);

  // Every client was stalled at the same time.
  expect(report.openMs).toBeLessThan(HELLO_TIMEOUT_MS);
  expect(report.pendingPeak).toBeGreaterThanOrEqual(clients);

  const earliest = HELLO_TIMEOUT_MS - EARLY_TOLERANCE_MS;
  const latest = HELLO_TIMEOUT_MS + CLOSE_MARGIN_MS;
  expect(report.serverOpenMs).toHaveLength(clients);
  expect(report.serverOpenMs.filter((ms) => ms < earliest)).toEqual([]);
  expect(report.serverOpenMs.filter((ms) => ms > latest)).toEqual([]);
  expect(report.clientOpenMs).toHaveLength(clients);
  expect(report.clientOpenMs.filter((ms) => ms < earliest)).toEqual([]);
  expect(report.clientOpenMs.filter((ms) => ms > latest)).toEqual([]);
  expect(report.clientErrors).toEqual([]);

  // Normal clients were served while the stalled ones waited.
  expect(report.probes.length).toBeGreaterThan(0);
  expect(report.probesBeforeDeadline).toBe(report.probes.length);
  expect(report.probes.map((probe) => probe.status)).toEqual(report.probes.map(() => 200));
  expect(report.probes.map((probe) => probe.body)).toEqual(report.probes.map(() => 'ok'));
  expect(report.probes.filter((probe) => probe.latencyMs > PROBE_LATENCY_LIMIT_MS)).toEqual([]);

  const { statsBefore, statsAfter } = report;
  expect(statsAfter.timedOut - statsBefore.timedOut).toBe(clients);
  expect(statsAfter.captured - statsBefore.captured).toBe(report.probes.length);
  expect(statsAfter.incomplete).toBe(0);
  expect(statsAfter.notTls).toBe(0);
  expect(statsAfter.malformed).toBe(0);
  expect(statsAfter.pending).toBe(0);

  expect(report.heapAfter.heapUsed).toBeLessThanOrEqual(
    report.heapBefore.heapUsed * (1 + HEAP_GROWTH_LIMIT),
  );
}

describe('stalled hellos', () => {
  it('closes 1,000 stalled https clients at the deadline', { timeout: 60_000 }, async () => {
    const report = await runStall('https', 1_000);
    checkStallReport(report, 1_000);
  });

  it('closes 200 stalled http2 clients at the deadline', { timeout: 60_000 }, async () => {
    const report = await runStall('http2', 200);
    checkStallReport(report, 200);
  });
});
