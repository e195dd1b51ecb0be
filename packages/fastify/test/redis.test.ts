import { type GuardRule, redisStore } from '@ja4guard/guard';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../test/helpers/certificate.js';
import { delay } from '../../../test/helpers/net.js';
import {
  checkRedis,
  createClient,
  deleteKeys,
  uniquePrefix,
  waitUntilReady,
} from '../../guard/test/helpers/redis.js';
import type { Ja4guardPluginOptions } from '../src/index.js';
import { startApp } from './helpers/app.js';
import { sendRequest } from './helpers/clients.js';

const redis = await checkRedis();

/** Maximum time a blocklist change on one instance may take to reach another. */
const PROPAGATION_LIMIT_MS = 1_000;

describe.skipIf(!redis.available)(
  `fastify plugin with Redis${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    let certificate: TestCertificate;
    let nodeJa4: string;
    let admin: Redis;
    let prefix: string;
    const clients: Redis[] = [];
    const apps: Array<{ close(): PromiseLike<unknown> }> = [];

    beforeAll(async () => {
      certificate = await testCertificate();
      admin = createClient();
      await waitUntilReady(admin);
      const { port } = await startApp(apps, { certificate });
      nodeJa4 = (await sendRequest(port)).body;
    });

    beforeEach(() => {
      prefix = uniquePrefix();
    });

    afterEach(async () => {
      for (const app of apps.splice(0)) await app.close();
      for (const client of clients.splice(0)) client.disconnect();
      await deleteKeys(admin, prefix);
    });

    afterAll(async () => {
      await admin.quit();
    });

    /** Starts an app whose guard uses its own Redis client and this test's key prefix. */
    async function startRedisApp(plugin: Ja4guardPluginOptions = { rules: [] }) {
      const client = createClient();
      clients.push(client);
      await waitUntilReady(client);
      return startApp(apps, {
        certificate,
        plugin: {
          ...plugin,
          store: redisStore(client),
          keyPrefix: prefix,
        } as Ja4guardPluginOptions,
      });
    }

    /** Returns the status of one request, or 'reset' when the connection is closed first. */
    async function outcomeOf(port: number): Promise<number | 'reset'> {
      try {
        return (await sendRequest(port)).status;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') return 'reset';
        throw error;
      }
    }

    /** Polls every 50 ms until a request gets `expected`; returns the milliseconds it took, or -1. */
    async function timeUntil(
      port: number,
      expected: number | 'reset',
      timeoutMs = PROPAGATION_LIMIT_MS,
    ): Promise<number> {
      const start = Date.now();
      while (Date.now() - start <= timeoutMs) {
        if ((await outcomeOf(port)) === expected) return Date.now() - start;
        await delay(50);
      }
      return -1;
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
      const first = await sendRequest(port);
      expect(first.status).toBe(200);
      expect(first.headers['ratelimit-policy']).toBe('"per-client";q=2;w=1');
      expect(first.headers.ratelimit).toBe('"per-client";r=1;t=1');
      expect((await sendRequest(port)).status).toBe(200);

      const limited = await sendRequest(port);
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBe('1');
      expect(limited.headers.ratelimit).toBe('"per-client";r=0;t=1');
      const stored = await admin.get(`${prefix}rl:per-client:${nodeJa4}|127.0.0.1`);
      expect(Number(stored)).toBe(3);

      expect(await timeUntil(port, 200, 3_000)).toBeGreaterThanOrEqual(0);
    });

    it('shares a limit between two servers', async () => {
      const rules: GuardRule[] = [
        { name: 'shared', action: 'rateLimit', rateLimit: { points: 2, duration: 60 } },
      ];
      const first = await startRedisApp({ rules });
      const second = await startRedisApp({ rules });
      expect((await sendRequest(first.port)).status).toBe(200);
      expect((await sendRequest(second.port)).status).toBe(200);
      expect((await sendRequest(first.port)).status).toBe(429);
      expect((await sendRequest(second.port)).status).toBe(429);
    });

    it('opens no connection for route rules', async () => {
      const client = createClient();
      clients.push(client);
      await waitUntilReady(client);
      const duplicate = vi.spyOn(client, 'duplicate');
      const rule: GuardRule = {
        name: 'login-limit',
        action: 'rateLimit',
        rateLimit: { points: 1, duration: 60 },
      };
      const { port } = await startApp(apps, {
        certificate,
        plugin: { rules: [], store: redisStore(client), keyPrefix: prefix },
        routes: (app) => {
          app.get('/login', { config: { ja4guard: { rules: [rule] } } }, async () => 'ok');
          app.get('/signup', { config: { ja4guard: { rules: [] } } }, async () => 'ok');
        },
      });

      // The app guard's blocklist subscriber is the only duplicate of the client.
      expect(duplicate).toHaveBeenCalledTimes(1);
      expect((await sendRequest(port, { path: '/login' })).status).toBe(200);
      expect((await sendRequest(port, { path: '/login' })).status).toBe(429);
      const stored = await admin.get(`${prefix}rl:login-limit:${nodeJa4}|127.0.0.1`);
      expect(Number(stored)).toBe(2);
      expect(duplicate).toHaveBeenCalledTimes(1);
    });

    describe('two servers on one blocklist', () => {
      it('propagates a ban within a second', async () => {
        const first = await startRedisApp({ rules: [], dropBeforeHandshake: false });
        const second = await startRedisApp({ rules: [], dropBeforeHandshake: false });
        expect((await sendRequest(second.port)).status).toBe(200);

        await first.app.ja4guard.guard!.blocklist.add(nodeJa4, { ttlSeconds: 60, reason: 'test' });
        const elapsed = await timeUntil(second.port, 403);
        expect(elapsed).toBeGreaterThanOrEqual(0);
        expect(elapsed).toBeLessThanOrEqual(PROPAGATION_LIMIT_MS);
        expect(second.app.ja4guard.guard!.blocklist.list()[0]).toMatchObject({
          value: nodeJa4,
          reason: 'test',
        });
      });

      it('propagates a removal within a second', async () => {
        const first = await startRedisApp({ rules: [] });
        const second = await startRedisApp({ rules: [] });
        await first.app.ja4guard.guard!.blocklist.add(nodeJa4, { ttlSeconds: 60 });
        // With the connection stage on, the second server closes the connection before the handshake.
        expect(await timeUntil(second.port, 'reset')).toBeGreaterThanOrEqual(0);

        await first.app.ja4guard.guard!.blocklist.remove(nodeJa4);
        const elapsed = await timeUntil(second.port, 200);
        expect(elapsed).toBeGreaterThanOrEqual(0);
        expect(elapsed).toBeLessThanOrEqual(PROPAGATION_LIMIT_MS);
        expect(second.app.ja4guard.capture.stats().dropped).toBeGreaterThanOrEqual(1);
      });

      it('expires a ban on both within a second', async () => {
        const first = await startRedisApp({ rules: [], dropBeforeHandshake: false });
        const second = await startRedisApp({ rules: [], dropBeforeHandshake: false });
        await first.app.ja4guard.guard!.blocklist.add(nodeJa4, { ttlSeconds: 1 });
        const expiresAt = first.app.ja4guard.guard!.blocklist.list()[0]!.expiresAt!;
        expect(await timeUntil(second.port, 403)).toBeGreaterThanOrEqual(0);

        await delay(Math.max(0, expiresAt - Date.now()));
        const elapsed = await timeUntil(second.port, 200);
        expect(elapsed).toBeGreaterThanOrEqual(0);
        expect(elapsed).toBeLessThanOrEqual(PROPAGATION_LIMIT_MS);
        expect((await sendRequest(first.port)).status).toBe(200);
      });
    });
  },
);
