import type * as http from 'node:http';
import { createGuard, type Guard, type GuardRule } from '@ja4guard/guard';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApp as startExpress } from '../../packages/express/test/helpers/app.js';
import { startApp as startFastify } from '../../packages/fastify/test/helpers/app.js';
import { type FullResponse, sendRequest } from '../../packages/fastify/test/helpers/clients.js';
import { type TestCertificate, testCertificate } from '../helpers/certificate.js';
import { close } from '../helpers/net.js';

let certificate: TestCertificate;
let nodeJa4: string;
const fastifyApps: Array<{ close(): PromiseLike<unknown> }> = [];
const expressServers: http.Server[] = [];
const guards: Guard[] = [];

beforeAll(async () => {
  certificate = await testCertificate();
  const { port } = await startFastify(fastifyApps, { certificate });
  nodeJa4 = (await sendRequest(port)).body;
});

afterEach(async () => {
  for (const app of fastifyApps.splice(0)) await app.close();
  for (const server of expressServers.splice(0)) if (server.listening) await close(server);
  for (const guard of guards.splice(0)) await guard.close();
});

/** The parts of a response that both adapters must send alike. */
function comparable(response: FullResponse) {
  return {
    status: response.status,
    retryAfter: response.headers['retry-after'],
    policy: response.headers['ratelimit-policy'],
    rateLimit: response.headers.ratelimit,
    body: JSON.parse(response.body) as unknown,
  };
}

describe('fastify and express together', () => {
  it('share one guard', async () => {
    const guard = createGuard({ rules: [] });
    guards.push(guard);
    const fastify = await startFastify(fastifyApps, { certificate, plugin: { guard } });
    const express = await startExpress(expressServers, {
      certificate,
      middleware: { guard },
      attach: { guard, dropBeforeHandshake: false },
    });
    await guard.blocklist.add(nodeJa4, { ttlSeconds: 60 });

    // The Fastify plugin drops the connection before the handshake; the Express server responds with 403.
    await expect(sendRequest(fastify.port)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await sendRequest(express.port)).status).toBe(403);
    expect(guard.stats().connectionDecisions.byAction.block).toBe(1);
    expect(guard.stats().requestDecisions.byAction.block).toBe(1);
  });

  it('send the same limit responses', async () => {
    const rules: GuardRule[] = [
      { name: 'per-client', action: 'rateLimit', rateLimit: { points: 1, duration: 60 } },
    ];
    const fastify = await startFastify(fastifyApps, { certificate, plugin: { rules } });
    const express = await startExpress(expressServers, { certificate, middleware: { rules } });
    for (let index = 0; index < 2; index++) {
      const fromFastify = comparable(await sendRequest(fastify.port, { path: '/fingerprint' }));
      const fromExpress = comparable(await sendRequest(express.port, { path: '/fingerprint' }));
      // The first response is the fingerprint, whose fields differ only in key order.
      if (index === 0) {
        expect(fromFastify.status).toBe(200);
        expect(fromExpress.rateLimit).toBe(fromFastify.rateLimit);
        continue;
      }
      expect(fromFastify.status).toBe(429);
      // `t` counts seconds down, so a run that crosses a second boundary may differ by one.
      expect({ ...fromExpress, rateLimit: undefined }).toEqual({
        ...fromFastify,
        rateLimit: undefined,
      });
    }
  });
});
