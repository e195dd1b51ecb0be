import type * as http from 'node:http';
import { type GuardRule, redisStore } from '@ja4guard/guard';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../test/helpers/certificate.js';
import { close, delay } from '../../../test/helpers/net.js';
import { sendRequest } from '../../fastify/test/helpers/clients.js';
import {
  checkRedis,
  createClient,
  deleteKeys,
  uniquePrefix,
  waitUntilReady,
} from '../../guard/test/helpers/redis.js';
import type { Ja4guardMiddlewareOptions } from '../src/index.js';
import { startApp } from './helpers/app.js';

const redis = await checkRedis();

describe.skipIf(!redis.available)(
  `express middleware with Redis${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    let certificate: TestCertificate;
    let nodeJa4: string;
    let admin: Redis;
    let prefix: string;
    const clients: Redis[] = [];
    const servers: http.Server[] = [];

    beforeAll(async () => {
      certificate = await testCertificate();
      admin = createClient();
      await waitUntilReady(admin);
      const { port } = await startApp(servers, { certificate });
      nodeJa4 = (await sendRequest(port)).body;
    });

    beforeEach(() => {
      prefix = uniquePrefix();
    });

    afterEach(async () => {
      for (const server of servers.splice(0)) if (server.listening) await close(server);
      for (const client of clients.splice(0)) client.disconnect();
      await deleteKeys(admin, prefix);
    });

    afterAll(async () => {
      await admin.quit();
    });

    /** Starts an app whose guard uses its own Redis client and this test's key prefix. */
    async function startRedisApp(middleware: Ja4guardMiddlewareOptions) {
      const client = createClient();
      clients.push(client);
      await waitUntilReady(client);
      return startApp(servers, {
        certificate,
        middleware: {
          ...middleware,
          store: redisStore(client),
          keyPrefix: prefix,
        } as Ja4guardMiddlewareOptions,
        attach: { dropBeforeHandshake: false },
      });
    }

    it('blocks a rule match with 403', async () => {
      const rules: GuardRule[] = [
        { name: 'node-client', match: { ja4: nodeJa4 }, action: 'block' },
      ];
      const { port } = await startRedisApp({ rules });
      const response = await sendRequest(port);
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body)).toMatchObject({ rule: 'node-client' });
    });

    it('limits with 429 and recovers', async () => {
      const rules: GuardRule[] = [
        { name: 'per-client', action: 'rateLimit', rateLimit: { points: 2, duration: 1 } },
      ];
      const { port } = await startRedisApp({ rules });
      expect((await sendRequest(port)).status).toBe(200);
      expect((await sendRequest(port)).status).toBe(200);
      const limited = await sendRequest(port);
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBe('1');
      expect(limited.headers['ratelimit-policy']).toBe('"per-client";q=2;w=1');
      expect(limited.headers.ratelimit).toBe('"per-client";r=0;t=1');
      expect(Number(await admin.get(`${prefix}rl:per-client:${nodeJa4}|127.0.0.1`))).toBe(3);

      let status = 429;
      for (let attempt = 0; attempt < 30 && status !== 200; attempt++) {
        await delay(100);
        status = (await sendRequest(port)).status;
      }
      expect(status).toBe(200);
    });

    it('blocks a ban from another instance', async () => {
      const first = await startRedisApp({ rules: [] });
      const second = await startRedisApp({ rules: [] });
      await first.middleware.guard!.blocklist.add(nodeJa4, { ttlSeconds: 60 });
      let status = 200;
      const start = Date.now();
      while (Date.now() - start <= 1_000 && status !== 403) {
        status = (await sendRequest(second.port)).status;
        if (status !== 403) await delay(50);
      }
      expect(status).toBe(403);
    });
  },
);
