import { createGuard, type Guard, redisStore } from '@ja4guard/guard';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROME_JA4, waitFor } from '../../guard/test/helpers/context.js';
import { checkRedis, uniquePrefix } from '../../guard/test/helpers/redis.js';
import {
  createCluster,
  createTempDirectory,
  findClusterPorts,
  type RedisServer,
  removeDirectory,
  startRedisServer,
} from '../../guard/test/helpers/redis-server.js';
import { runCli } from './helpers.js';

// A reply from the shared Redis shows that redis-server is installed; the cluster runs on its own ports.
const redis = await checkRedis();

describe.skipIf(!redis.available)(
  `blocklist command with Redis Cluster${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    const servers: RedisServer[] = [];
    const prefix = uniquePrefix();
    let directory = '';
    let ports: number[] = [];
    let client: Cluster | null = null;
    let guard: Guard | null = null;

    beforeAll(async () => {
      directory = await createTempDirectory();
      try {
        ports = await findClusterPorts(3, 7401, 7700);
        for (const port of ports) {
          servers.push(await startRedisServer(port, directory, true));
        }
        await createCluster(ports);
      } catch (error) {
        await Promise.all(servers.map((server) => server.stop()));
        await removeDirectory(directory);
        throw error;
      }

      client = new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1 } },
      );
      client.on('error', () => {});
      const cluster = client;
      if (!(await waitFor(() => cluster.status === 'ready', 10_000, 50))) {
        throw new Error(`Cluster client status is ${cluster.status} after 10 s`);
      }
      guard = createGuard({
        store: redisStore(client),
        keyPrefix: prefix,
        blocklistSyncIntervalMs: 60_000,
      });
      await guard.ready();
    }, 60_000);

    afterAll(async () => {
      await guard?.close();
      client?.disconnect();
      await Promise.all(servers.map((server) => server.stop()));
      await removeDirectory(directory);
    });

    it('add, list and remove through --cluster', async () => {
      const nodes = ports.map((port) => `redis://127.0.0.1:${port}`).join(',');
      const options = ['--cluster', '--redis', nodes, '--key-prefix', prefix];
      const blocklist = guard as Guard;

      const added = await runCli([
        'blocklist',
        'add',
        CHROME_JA4,
        '--reason',
        'scraper',
        ...options,
      ]);
      expect(added.stderr).toBe('');
      expect(added.status).toBe(0);
      expect(added.stdout).toBe(`added ${CHROME_JA4} (expires never)\n`);
      expect(await waitFor(() => blocklist.blocklist.has(CHROME_JA4), 1000, 10)).toBe(true);

      const listed = await runCli(['blocklist', 'list', ...options]);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toBe(`${CHROME_JA4}\tnever\tscraper\n`);

      const removed = await runCli(['blocklist', 'remove', CHROME_JA4, ...options]);
      expect(removed.status).toBe(0);
      expect(removed.stdout).toBe(`removed ${CHROME_JA4}\n`);
      expect(await waitFor(() => !blocklist.blocklist.has(CHROME_JA4), 1000, 10)).toBe(true);
    });
  },
);
