import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createGuard, type Guard, redisStore } from '@ja4guard/guard';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROME_JA4, waitFor } from '../../guard/test/helpers/context.js';
import {
  checkRedis,
  createClient,
  deleteKeys,
  SHARED_REDIS_PORT,
  uniquePrefix,
  waitUntilReady,
} from '../../guard/test/helpers/redis.js';
import { freePort } from '../../guard/test/helpers/redis-server.js';
import { buildBin } from './build.js';

const binPath = fileURLToPath(new URL('../bin/ja4guard.js', import.meta.url));
/** Maximum time a spawned command may run before the test kills it, in milliseconds. */
const PROCESS_LIMIT_MS = 15_000;

interface BinResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the spawn to the exit of the process. */
  readonly elapsedMs: number;
}

/** Runs the built bin and waits for the process to exit, which shows that no connection keeps it open. */
function runBin(args: string[]): Promise<BinResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [binPath, ...args],
      {
        encoding: 'utf8',
        timeout: PROCESS_LIMIT_MS,
        env: { ...process.env, JA4GUARD_REDIS_URL: '' },
      },
      (error, stdout, stderr) => {
        let status: number | null = 0;
        if (error !== null) {
          // A process killed by the time limit has a signal and no exit code.
          status = typeof error.code === 'number' ? error.code : null;
        }
        resolve({ status, stdout, stderr, elapsedMs: Date.now() - started });
      },
    );
  });
}

const redis = await checkRedis();

describe.skipIf(!redis.available)(
  `ja4guard blocklist bin${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    const prefix = uniquePrefix();
    const redisUrl = `redis://127.0.0.1:${SHARED_REDIS_PORT}`;
    let client: Redis;
    let guard: Guard;

    beforeAll(async () => {
      buildBin();
      client = createClient();
      await waitUntilReady(client);
      guard = createGuard({
        store: redisStore(client),
        keyPrefix: prefix,
        blocklistSyncIntervalMs: 60_000,
      });
      await guard.ready();
    }, 180_000);

    afterAll(async () => {
      await guard.close();
      await deleteKeys(client, prefix);
      client.disconnect();
    });

    it('adds, lists and removes an entry', async () => {
      const options = ['--redis', redisUrl, '--key-prefix', prefix];

      const added = await runBin(['blocklist', 'add', CHROME_JA4, '--ttl', '600', ...options]);
      expect(added.stderr).toBe('');
      expect(added.status).toBe(0);
      expect(added.stdout).toMatch(new RegExp(`^added ${CHROME_JA4} \\(expires \\S+Z\\)\\n$`));
      expect(await waitFor(() => guard.blocklist.has(CHROME_JA4), 1000, 10)).toBe(true);

      const listed = await runBin(['blocklist', 'list', '--json', ...options]);
      expect(listed.status).toBe(0);
      const entries = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
      expect(entries.map((entry) => entry.value)).toEqual([CHROME_JA4]);

      const removed = await runBin(['blocklist', 'remove', CHROME_JA4, ...options]);
      expect(removed.status).toBe(0);
      expect(removed.stdout).toBe(`removed ${CHROME_JA4}\n`);
      expect(await waitFor(() => !guard.blocklist.has(CHROME_JA4), 1000, 10)).toBe(true);
    });

    it('exits 1 when Redis is unreachable', async () => {
      const port = await freePort();
      const result = await runBin(['blocklist', 'list', '--redis', `redis://127.0.0.1:${port}`]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`cannot connect to Redis at redis://127.0.0.1:${port}`);
      // Default --timeout is 10 s; a refused connection fails long before it.
      expect(result.elapsedMs).toBeLessThan(10_000);
    });

    it('exits 2 for an invalid VALUE', async () => {
      const result = await runBin(['blocklist', 'add', 'not-a-ja4', '--redis', redisUrl]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('invalid VALUE: ERR_JA4GUARD_INVALID_JA4');
    });
  },
);
