import type { Server } from 'node:https';
import * as https from 'node:https';
import { createServer, getCapture, getFingerprint } from '@ja4guard/core';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../../test/helpers/certificate.js';
import { close, listen } from '../../../../test/helpers/net.js';
import { collectMetrics, createGuard, type Guard, redisStore } from '../../src/index.js';
import { waitFor } from '../helpers/context.js';
import {
  checkRedis,
  createClient,
  deleteKeys,
  uniquePrefix,
  waitUntilReady,
} from '../helpers/redis.js';

let certificate: TestCertificate;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  certificate = await testCertificate();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

/** GET over a new connection with Node's https client; resolves with the body. */
function httpsGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      { host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve(body));
      },
    );
    request.setTimeout(5000, () => request.destroy(new Error('GET timed out after 5000 ms')));
    request.on('error', reject);
  });
}

/** Starts an https server on 127.0.0.1 whose capture calls the guard's hook before each handshake. Responses carry the JA4. */
async function startGuardedServer(guard: Guard): Promise<{ server: Server; port: number }> {
  const server = createServer(
    { ...certificate, capture: { onClientHello: guard.connectionHook() } },
    (request, response) => {
      response.end(getFingerprint(request.socket)?.ja4 ?? 'none');
    },
  );
  const port = await listen(server);
  cleanups.push(() => close(server));
  return { server, port };
}

/** Expects the GET to fail the way a client sees a connection closed before the handshake. */
async function expectDropped(port: number): Promise<void> {
  const error = (await httpsGet(port).then(
    () => null,
    (reason: unknown) => reason,
  )) as NodeJS.ErrnoException | null;
  expect(error).not.toBeNull();
  expect(['ECONNRESET', 'EPIPE']).toContain(error?.code);
}

describe('connection hook on a real server', () => {
  test('blocklisted Node client dropped', async () => {
    const guard = createGuard();
    cleanups.push(() => guard.close());
    const { server, port } = await startGuardedServer(guard);
    const capture = getCapture(server)!;

    const ja4 = await httpsGet(port);
    // The client connects to an IP address, so it sends no SNI: the flag is `i`.
    expect(ja4).toMatch(/^t1[23]i\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/);
    expect(capture.stats().dropped).toBe(0);

    await guard.blocklist.add(ja4, { reason: 'test client' });
    await expectDropped(port);
    expect(capture.stats().dropped).toBe(1);
    expect(capture.stats().captured).toBe(2);

    const snapshot = collectMetrics({ capture, guard });
    expect(snapshot.capture?.dropped).toBe(1);
    const counts = snapshot.guard?.connectionDecisions;
    expect(counts?.byAction.pass).toBe(1);
    expect(counts?.byAction.block).toBe(1);
    expect(counts?.blocklist).toBe(1);

    await guard.blocklist.remove(ja4);
    expect(await httpsGet(port)).toBe(ja4);
  });

  test('connection rate limit drops third', async () => {
    const guard = createGuard({
      rules: [
        {
          name: 'connections',
          stage: 'connection',
          action: 'rateLimit',
          rateLimit: { points: 2, duration: 60, key: 'ip' },
        },
      ],
    });
    cleanups.push(() => guard.close());
    const { server, port } = await startGuardedServer(guard);

    await httpsGet(port);
    await httpsGet(port);
    await expectDropped(port);
    expect(getCapture(server)!.stats().dropped).toBe(1);
    expect(guard.stats().connectionDecisions.byRule.connections).toEqual({ pass: 2, limit: 1 });
  });
});

const redis = await checkRedis();

describe.skipIf(!redis.available)(
  `connection hook with Redis${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    let admin: Redis;
    let prefix: string;

    beforeAll(async () => {
      admin = createClient();
      await waitUntilReady(admin);
    });

    afterAll(async () => {
      await admin.quit();
    });

    async function redisGuard(): Promise<Guard> {
      const client = createClient();
      await waitUntilReady(client);
      const guard = createGuard({ store: redisStore(client), keyPrefix: prefix });
      cleanups.push(async () => {
        await guard.close();
        client.disconnect();
      });
      await guard.ready();
      return guard;
    }

    test('ban from other instance drops', async () => {
      prefix = uniquePrefix();
      cleanups.push(() => deleteKeys(admin, prefix));
      const serving = await redisGuard();
      const admin2 = await redisGuard();
      const { server, port } = await startGuardedServer(serving);

      const ja4 = await httpsGet(port);
      await admin2.blocklist.add(ja4, { ttlSeconds: 60 });
      expect(await waitFor(() => serving.blocklist.has(ja4), 5000)).toBe(true);

      await expectDropped(port);
      expect(getCapture(server)!.stats().dropped).toBe(1);
      expect(await admin.hexists(`${prefix}{blocklist}:entries`, ja4)).toBe(1);
    });
  },
);
