import type * as http from 'node:http';
import { type GuardRule, redisStore } from '@ja4guard/guard';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApp as startExpress } from '../../packages/express/test/helpers/app.js';
import { startApp as startFastify } from '../../packages/fastify/test/helpers/app.js';
import { sendRequest } from '../../packages/fastify/test/helpers/clients.js';
import {
  checkRedis,
  createClient,
  deleteKeys,
  uniquePrefix,
  waitUntilReady,
} from '../../packages/guard/test/helpers/redis.js';
import { type TestCertificate, testCertificate } from '../helpers/certificate.js';
import { close, delay } from '../helpers/net.js';

const redis = await checkRedis();

type Redis = ReturnType<typeof createClient>;

describe.skipIf(!redis.available)(
  `adapters on one Redis${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    let certificate: TestCertificate;
    let nodeJa4: string;
    let admin: Redis;
    let prefix: string;
    const clients: Redis[] = [];
    const fastifyApps: Array<{ close(): PromiseLike<unknown> }> = [];
    const expressServers: http.Server[] = [];

    beforeAll(async () => {
      certificate = await testCertificate();
      admin = createClient();
      await waitUntilReady(admin);
      const { port } = await startFastify(fastifyApps, { certificate });
      nodeJa4 = (await sendRequest(port)).body;
    });

    beforeEach(() => {
      prefix = uniquePrefix();
    });

    afterEach(async () => {
      for (const app of fastifyApps.splice(0)) await app.close();
      for (const server of expressServers.splice(0)) if (server.listening) await close(server);
      for (const client of clients.splice(0)) client.disconnect();
      await deleteKeys(admin, prefix);
    });

    afterAll(async () => {
      await admin.quit();
    });

    async function store() {
      const client = createClient();
      clients.push(client);
      await waitUntilReady(client);
      return { store: redisStore(client), keyPrefix: prefix };
    }

    it('shares a ban from Fastify with Express', async () => {
      const fastify = await startFastify(fastifyApps, {
        certificate,
        plugin: { rules: [], ...(await store()) },
      });
      const express = await startExpress(expressServers, {
        certificate,
        middleware: { rules: [], ...(await store()) },
        attach: { dropBeforeHandshake: false },
      });
      await fastify.app.ja4guard.guard!.blocklist.add(nodeJa4, { ttlSeconds: 60 });

      let status = 200;
      const start = Date.now();
      while (Date.now() - start <= 1_000 && status !== 403) {
        status = (await sendRequest(express.port)).status;
        if (status !== 403) await delay(50);
      }
      expect(status).toBe(403);
    });

    it('shares route limits between Fastify servers', async () => {
      const login: GuardRule = {
        name: 'login-limit',
        action: 'rateLimit',
        rateLimit: { points: 2, duration: 60 },
      };
      const start = async () =>
        startFastify(fastifyApps, {
          certificate,
          plugin: { rules: [], ...(await store()) },
          routes: (app) => {
            app.get('/login', { config: { ja4guard: { rules: [login] } } }, async () => 'ok');
          },
        });
      const first = await start();
      const second = await start();
      expect((await sendRequest(first.port, { path: '/login' })).status).toBe(200);
      expect((await sendRequest(second.port, { path: '/login' })).status).toBe(200);
      expect((await sendRequest(first.port, { path: '/login' })).status).toBe(429);
      expect((await sendRequest(second.port, { path: '/login' })).status).toBe(429);
      expect((await sendRequest(second.port)).status).toBe(200);
    });
  },
);
