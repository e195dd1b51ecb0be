// Many sequential short connections through one capture must not grow the
// retained heap or the listener lists. The run happens in a child process
// started with --expose-gc (see soak-run.ts).
//
// CI runs 40,000 connections. Set JA4GUARD_SOAK=1 for the full 100,000.

import { describe, expect, it } from 'vitest';
import type { SoakReport } from './soak-run.js';
import { runChild } from './support.js';

const FULL_RUN = process.env.JA4GUARD_SOAK === '1';
const CONNECTIONS = FULL_RUN ? 100_000 : 40_000;
const CHECKPOINT = 10_000;
const CONCURRENCY = 32;
/** Growth of the used heap allowed between the checkpoint and the end. */
const MAX_HEAP_GROWTH_BYTES = 2 * 1024 * 1024;
const CHILD_TIMEOUT_MS = FULL_RUN ? 300_000 : 55_000;

describe('capture soak', () => {
  it(`keeps memory flat over ${CONNECTIONS} connections`, {
    timeout: CHILD_TIMEOUT_MS + 5_000,
  }, async () => {
    const report = await runChild<SoakReport>(
      'soak-run.ts',
      [
        '--connections',
        String(CONNECTIONS),
        '--checkpoint',
        String(CHECKPOINT),
        '--concurrency',
        String(CONCURRENCY),
      ],
      { timeoutMs: CHILD_TIMEOUT_MS, minOpenFiles: 4 * CONCURRENCY + 256 },
    );
    const { warmUp, atCheckpoint, atEnd } = report;
    const growth = atEnd.heap.heapUsed - atCheckpoint.heap.heapUsed;
    const runMs = atEnd.elapsedMs - warmUp.elapsedMs;
    console.log(
      `soak: ${CONNECTIONS} connections in ${(runMs / 1000).toFixed(1)} s, heap used ` +
        `${warmUp.heap.heapUsed} after warm-up, ${atCheckpoint.heap.heapUsed} at ${CHECKPOINT}, ` +
        `${atEnd.heap.heapUsed} at the end (growth ${growth} bytes)`,
    );

    expect(growth).toBeLessThan(MAX_HEAP_GROWTH_BYTES);

    // Listener lists of the server and of every socket keep one size.
    expect(atCheckpoint.serverListeners).toEqual(warmUp.serverListeners);
    expect(atEnd.serverListeners).toEqual(warmUp.serverListeners);
    expect(warmUp.serverListeners.connection).toBeGreaterThan(0);
    expect(report.hookSocketListeners).toHaveLength(1);
    expect(report.requestSocketListeners).toHaveLength(1);

    // Every connection was counted once, under the counter its kind belongs to.
    const stats = atEnd.stats;
    const before = warmUp.stats;
    const { kinds } = report;
    expect(kinds.https + kinds['plain-http'] + kinds.empty + kinds['dropped-hello']).toBe(
      CONNECTIONS,
    );
    expect(report.httpsFailures).toEqual([]);
    expect(stats.dropped - before.dropped).toBe(kinds['dropped-hello']);
    expect(stats.captured - before.captured).toBe(kinds['dropped-hello'] + kinds.https);
    expect((stats.notTlsByKind.http ?? 0) - (before.notTlsByKind.http ?? 0)).toBe(
      kinds['plain-http'],
    );
    expect(stats.notTls - before.notTls).toBe(kinds['plain-http']);
    expect(stats.incomplete - before.incomplete).toBe(kinds.empty);
    expect(stats.timedOut).toBe(0);
    expect(stats.hookFailed).toBe(0);
    expect(stats.malformed).toBe(0);
    expect(stats.pending).toBe(0);
    expect(report.failureEvents).toBe(stats.notTls + stats.incomplete);
  });
});
