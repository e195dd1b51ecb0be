import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGuard, type Guard, type GuardOptions, redisStore } from '../src/index.js';
import { CHROME_JA4, CURL_JA4, context, fingerprint, waitFor } from './helpers/context.js';
import { checkRedis, uniquePrefix } from './helpers/redis.js';
import {
  createCluster,
  createTempDirectory,
  findClusterPorts,
  type RedisServer,
  removeDirectory,
  startRedisServer,
} from './helpers/redis-server.js';

// A reply from the shared Redis shows that Redis is installed here. The cluster runs on its own ports.
const redis = await checkRedis();

describe.skipIf(!redis.available)(
  `Redis Cluster store${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    const servers: RedisServer[] = [];
    const clusters: Cluster[] = [];
    const guards: Guard[] = [];
    let directory = '';
    let ports: number[] = [];
    const prefix = uniquePrefix();

    function createClusterClient(): Cluster {
      const client = new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        {
          enableOfflineQueue: false,
          redisOptions: { maxRetriesPerRequest: 1 },
          clusterRetryStrategy: (times) => Math.min(times * 100, 500),
        },
      );
      client.on('error', () => {});
      clusters.push(client);
      return client;
    }

    async function clusterGuard(options: GuardOptions = {}): Promise<Guard> {
      const client = createClusterClient();
      const connected = await waitFor(() => client.status === 'ready', 10_000, 50);
      if (!connected) {
        throw new Error(`Cluster client status is ${client.status} after 10 s`);
      }
      const guard = createGuard({ store: redisStore(client), keyPrefix: prefix, ...options });
      guards.push(guard);
      await guard.ready();
      return guard;
    }

    beforeAll(async () => {
      directory = await createTempDirectory();
      try {
        ports = await findClusterPorts(3);
        for (const port of ports) {
          servers.push(await startRedisServer(port, directory, true));
        }
        await createCluster(ports);
      } catch (error) {
        await Promise.all(servers.map((server) => server.stop()));
        await removeDirectory(directory);
        throw error;
      }
    }, 60_000);

    afterAll(async () => {
      await Promise.all(guards.map((guard) => guard.close()));
      for (const client of clusters) {
        client.disconnect();
      }
      await Promise.all(servers.map((server) => server.stop()));
      await removeDirectory(directory);
    });

    test('limit shared across cluster clients', async () => {
      const rules: GuardOptions['rules'] = [
        { name: 'api', action: 'rateLimit', rateLimit: { points: 2, duration: 60 } },
      ];
      const first = await clusterGuard({ rules });
      const second = await clusterGuard({ rules });

      // Keys of several client IPs land on different slots, so every node takes part.
      for (let i = 0; i < 20; i++) {
        const request = context({ ip: `198.51.100.${i}` });
        expect((await first.check(request)).remaining).toBe(1);
        expect((await second.check(request)).remaining).toBe(0);
        const limited = await first.check(request);
        expect(limited.action).toBe('limit');
      }
      expect(first.stats().storeAvailable).toBe(true);
    });

    test('blocklist shared across cluster clients', async () => {
      const first = await clusterGuard();
      const second = await clusterGuard();
      const curl = context({ fingerprint: fingerprint({ ja4: CURL_JA4 }) });

      await first.blocklist.add(CURL_JA4, { reason: 'cluster' });
      expect(
        await waitFor(async () => (await second.check(curl)).action === 'block', 1000, 10),
      ).toBe(true);

      await first.blocklist.remove(CURL_JA4);
      expect(
        await waitFor(async () => (await second.check(curl)).action === 'pass', 1000, 10),
      ).toBe(true);

      await first.blocklist.add({ ja4: CHROME_JA4, ip: '203.0.113.7' }, { ttlSeconds: 1 });
      expect(
        await waitFor(async () => (await second.check(context())).action === 'block', 1000, 10),
      ).toBe(true);
      expect(
        await waitFor(async () => (await second.check(context())).action === 'pass', 2000, 10),
      ).toBe(true);

      const late = await clusterGuard();
      await first.blocklist.add('t13d*_8daaf6152771_*');
      await late.blocklist.sync();
      expect(late.blocklist.has('t13d*_8daaf6152771_*')).toBe(true);
    });

    test('ban across cluster clients', async () => {
      const rules: GuardOptions['rules'] = [
        {
          name: 'scraper',
          action: 'rateLimit',
          rateLimit: { points: 1, duration: 60, ban: { after: 1, ttlSeconds: 60, scope: 'ja4' } },
        },
      ];
      const first = await clusterGuard({ rules });
      const second = await clusterGuard({ rules });
      const request = context({
        fingerprint: fingerprint({ ja4: 't13d0000h2_000000000000_000000000000' }),
      });

      await first.check(request);
      expect((await first.check(request)).ban?.value).toBe('t13d0000h2_000000000000_000000000000');
      expect(
        await waitFor(async () => (await second.check(request)).reason === 'blocklist', 1000, 10),
      ).toBe(true);
    });
  },
);
