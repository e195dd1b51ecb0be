import * as http from 'node:http';
import * as https from 'node:https';
import { createGuard, type Decision, type GuardRule } from '@ja4guard/guard';
import express from 'express';
import { Registry } from 'prom-client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../test/helpers/certificate.js';
import { close, delay, listen } from '../../../test/helpers/net.js';
import { hasTool } from '../../../test/helpers/tools.js';
import { curlGet, sendRequest } from '../../fastify/test/helpers/clients.js';
import {
  attachCapture,
  type Ja4guardMiddlewareOptions,
  ja4guard,
  MiddlewareOptionError,
  NotTlsServerError,
} from '../src/index.js';
import { guardCalls, recordingLogger, startApp } from './helpers/app.js';

const curl = hasTool('curl');
const HEADER_JA4 = 't13d1516h2_8daaf6152771_e5627efa2ab1';
/** A second loopback address, so a client can come from a peer that is not trusted. */
const OTHER_PEER = '127.0.0.2';

let certificate: TestCertificate;
let nodeJa4: string;
const servers: http.Server[] = [];

beforeAll(async () => {
  certificate = await testCertificate();
  const { port } = await startApp(servers, { certificate });
  nodeJa4 = (await sendRequest(port)).body;
  expect(nodeJa4).toMatch(/^t13i/);
});

afterEach(async () => {
  for (const server of servers.splice(0)) if (server.listening) await close(server);
});

function blockNode(name = 'node-client'): GuardRule {
  return { name, match: { ja4: nodeJa4 }, action: 'block' };
}

/** Sends requests every 100 ms until one gets `status`, for at most `timeoutMs`; returns the last status. */
async function waitForStatus(port: number, status: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await sendRequest(port)).status;
    if (last === status) return last;
    await delay(100);
  }
  return last;
}

describe('express middleware blocking', () => {
  it('blocks a rule match with 403', async () => {
    const { calls, logger } = recordingLogger();
    const { port } = await startApp(servers, {
      certificate,
      middleware: { rules: [blockNode()], logger },
    });
    const response = await sendRequest(port);
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toContain('application/json');
    expect(JSON.parse(response.body)).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'Blocked by rule "node-client".',
      rule: 'node-client',
      reason: 'rule',
    });
    const [call] = guardCalls(calls);
    expect(call?.level).toBe('info');
    expect(call?.message).toContain('"node-client"');
    expect(call?.fields).toMatchObject({
      action: 'block',
      rule: 'node-client',
      enforced: true,
      ja4: nodeJa4,
      ip: '127.0.0.1',
      path: '/',
    });
  });

  it.skipIf(!curl)('blocks curl by its JA4', async () => {
    const { port } = await startApp(servers, {
      certificate,
      middleware: { rules: [{ name: 'curl', match: { ja4: 't13i????h1' }, action: 'block' }] },
    });
    const response = await curlGet(port, 'http1.1');
    expect(response.status).toBe(403);
    expect((await sendRequest(port)).status).toBe(200);
  });

  it('builds a custom body', async () => {
    const { port } = await startApp(servers, {
      certificate,
      middleware: {
        rules: [blockNode()],
        buildBody: (decision, request) => `denied by ${decision.rule} at ${request.originalUrl}`,
      },
    });
    const response = await sendRequest(port, { path: '/fingerprint?x=1' });
    expect(response.status).toBe(403);
    expect(response.body).toBe('denied by node-client at /fingerprint?x=1');
  });

  it('hands the response to handler', async () => {
    const { port } = await startApp(servers, {
      certificate,
      middleware: {
        rules: [{ name: 'tight', action: 'rateLimit', rateLimit: { points: 1, duration: 60 } }],
        handler: (_request, response, _next, decision) => {
          response.json({ custom: decision.action });
        },
      },
    });
    expect((await sendRequest(port)).status).toBe(200);
    const limited = await sendRequest(port);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(JSON.parse(limited.body)).toEqual({ custom: 'limit' });
  });

  it('applies rules per route', async () => {
    const app = express();
    app.use(ja4guard());
    app.post(
      '/login',
      ja4guard({ rules: [{ name: 'login-post', action: 'block' }] }),
      (_request, response) => {
        response.send('ok');
      },
    );
    app.get('/login', (request, response) => {
      response.send(request.ja4);
    });
    const server = https.createServer(certificate, app);
    servers.push(server);
    attachCapture(server);
    const port = await listen(server);

    const blocked = await sendRequest(port, { path: '/login', method: 'POST' });
    expect(blocked.status).toBe(403);
    expect(JSON.parse(blocked.body)).toMatchObject({ rule: 'login-post' });
    const page = await sendRequest(port, { path: '/login' });
    expect(page.status).toBe(200);
    expect(page.body).toBe(nodeJa4);
  });
});

describe('express middleware rate limits', () => {
  it('limits with 429 and recovers', async () => {
    const { calls, logger } = recordingLogger();
    const { port } = await startApp(servers, {
      certificate,
      middleware: {
        logger,
        rules: [{ name: 'per-client', action: 'rateLimit', rateLimit: { points: 2, duration: 1 } }],
      },
    });
    const first = await sendRequest(port);
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"per-client";q=2;w=1');
    expect(first.headers.ratelimit).toBe('"per-client";r=1;t=1');
    expect((await sendRequest(port)).status).toBe(200);

    const limited = await sendRequest(port);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers.ratelimit).toBe('"per-client";r=0;t=1');
    expect(JSON.parse(limited.body)).toMatchObject({ rule: 'per-client', retryAfterSeconds: 1 });
    expect(guardCalls(calls)[0]?.fields).toMatchObject({ action: 'limit', rule: 'per-client' });

    expect(await waitForStatus(port, 200, 3_000)).toBe(200);
  });
});

describe('express middleware dry run', () => {
  it('never blocks and logs', async () => {
    const { calls, logger } = recordingLogger();
    const { port } = await startApp(servers, {
      certificate,
      middleware: { logger, mode: 'dry-run', rules: [blockNode()] },
    });
    expect((await sendRequest(port)).status).toBe(200);
    expect((await sendRequest(port)).status).toBe(200);
    const logged = guardCalls(calls);
    expect(logged).toHaveLength(2);
    expect(logged[0]?.fields).toMatchObject({ action: 'block', enforced: false });
    expect(logged[0]?.message).toContain('dry run: would have blocked');
  });
});

describe('express middleware hooks', () => {
  it('calls the decision hooks', async () => {
    const seen: Array<[string, Decision['action']]> = [];
    const { port } = await startApp(servers, {
      certificate,
      middleware: {
        rules: [blockNode()],
        onDecision: (decision) => seen.push(['decision', decision.action]),
        onBlocked: (decision, request) => seen.push([`blocked ${request.path}`, decision.action]),
        onLimited: (decision) => seen.push(['limited', decision.action]),
      },
    });
    expect((await sendRequest(port)).status).toBe(403);
    expect(seen).toEqual([
      ['decision', 'block'],
      ['blocked /', 'block'],
    ]);
  });

  it('survives a throwing hook', async () => {
    const { calls, logger } = recordingLogger();
    const { port } = await startApp(servers, {
      certificate,
      middleware: {
        logger,
        rules: [],
        onDecision: () => {
          throw new Error('metrics backend down');
        },
      },
    });
    expect((await sendRequest(port)).status).toBe(200);
    expect((await sendRequest(port)).status).toBe(200);
    const errors = calls.filter((call) => call.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.fields).toMatchObject({ hook: 'onDecision', suppressed: 0 });
  });
});

describe('express middleware failures', () => {
  it('fails closed with 500', async () => {
    const { port, middleware } = await startApp(servers, {
      certificate,
      middleware: { rules: [], failClosed: true },
    });
    middleware.guard!.evaluate = () => {
      throw new Error('internal bug');
    };
    expect((await sendRequest(port)).status).toBe(500);
  });

  it('fails open by default', async () => {
    const { port, middleware } = await startApp(servers, {
      certificate,
      middleware: { rules: [] },
    });
    middleware.guard!.evaluate = () => Promise.reject(new Error('internal bug'));
    expect((await sendRequest(port)).status).toBe(200);
  });
});

describe('express connection stage', () => {
  it('drops a blocklisted JA4 before the handshake', async () => {
    const { server, port, middleware, capture } = await startApp(servers, {
      certificate,
      middleware: { rules: [] },
    });
    let handshakes = 0;
    server.on('secureConnection', () => {
      handshakes++;
    });
    await middleware.guard!.blocklist.add(nodeJa4, { ttlSeconds: 60 });
    await expect(sendRequest(port)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(handshakes).toBe(0);
    expect(capture!.stats().dropped).toBe(1);
    expect(middleware.metrics().capture?.dropped).toBe(1);
  });

  it('answers 403 with dropBeforeHandshake false', async () => {
    const { port, middleware, capture } = await startApp(servers, {
      certificate,
      middleware: { rules: [] },
      attach: { dropBeforeHandshake: false },
    });
    await middleware.guard!.blocklist.add(nodeJa4);
    expect((await sendRequest(port)).status).toBe(403);
    expect(capture!.stats().dropped).toBe(0);
  });

  it('does not drop without the guard', async () => {
    const { port, middleware } = await startApp(servers, {
      certificate,
      middleware: { rules: [] },
      attach: { guard: undefined },
    });
    await middleware.guard!.blocklist.add(nodeJa4);
    expect((await sendRequest(port)).status).toBe(403);
  });
});

describe('express trusted header', () => {
  const trustedHeader = { header: 'x-ja4', trustedProxies: ['127.0.0.1'] };

  it('reads the header only from a trusted peer', async () => {
    const { port, middleware } = await startApp(servers, {
      certificate,
      middleware: { trustedHeader },
    });
    const headers = { 'x-ja4': HEADER_JA4 };
    const trusted = await sendRequest(port, { path: '/fingerprint', headers });
    expect(JSON.parse(trusted.body)).toMatchObject({
      ja4: HEADER_JA4,
      tlsFingerprint: { source: 'header', ja3: null, ja4_r: null },
    });
    const other = await sendRequest(port, {
      path: '/fingerprint',
      headers,
      localAddress: OTHER_PEER,
    });
    expect(JSON.parse(other.body)).toMatchObject({
      ja4: nodeJa4,
      tlsFingerprint: { source: 'socket' },
    });
    expect(middleware.headerSource!.stats()).toMatchObject({ accepted: 1, rejectedUntrusted: 1 });
  });

  it('serves plain HTTP behind a proxy', async () => {
    const { server, port, middleware } = await startApp(servers, {
      certificate: null,
      middleware: {
        trustedHeader,
        rules: [{ name: 'listed', match: { ja4: HEADER_JA4 }, action: 'block' }],
      },
    });
    expect(attachCapture(server, { guard: middleware.guard! })).toBeNull();
    const headers = { 'x-ja4': HEADER_JA4 };
    expect((await sendRequest(port, { plain: true, headers })).status).toBe(403);
    expect((await sendRequest(port, { plain: true })).status).toBe(200);
  });

  it('rejects a plain server without trustedHeader', async () => {
    const middleware = ja4guard({ rules: [] });
    const server = http.createServer();
    expect(() => attachCapture(server, { guard: middleware.guard! })).toThrow(NotTlsServerError);
    await middleware.close();
  });
});

describe('express middleware lifecycle', () => {
  it('closes its guard with the server', async () => {
    const { server, middleware } = await startApp(servers, {
      certificate,
      middleware: { rules: [] },
    });
    const guard = middleware.guard!;
    let closed = 0;
    const closeGuard = guard.close.bind(guard);
    guard.close = () => {
      closed++;
      return closeGuard();
    };
    await close(server);
    await delay(10);
    expect(closed).toBe(1);
  });

  it('leaves a shared guard open', async () => {
    const guard = createGuard({ rules: [blockNode('shared')] });
    let closed = 0;
    const closeGuard = guard.close.bind(guard);
    guard.close = () => {
      closed++;
      return closeGuard();
    };
    const { server, port } = await startApp(servers, { certificate, middleware: { guard } });
    expect((await sendRequest(port)).status).toBe(403);
    await close(server);
    expect(closed).toBe(0);
    await closeGuard();
  });

  it('registers Prometheus metrics', async () => {
    const register = new Registry();
    const { server, port, middleware } = await startApp(servers, {
      certificate,
      middleware: { rules: [blockNode()], prometheus: { register } },
    });
    await sendRequest(port);
    const text = await register.metrics();
    expect(text).toContain('ja4guard_decisions_total{stage="request",action="block"} 1');
    expect(text).toContain('ja4guard_capture_fingerprinted_total 1');
    expect(middleware.metrics().guard?.requestDecisions.byAction.block).toBe(1);
    await close(server);
    await middleware.close();
    expect(register.getMetricsAsArray()).toEqual([]);
  });
});

describe('express middleware without rules', () => {
  it('finds the capture from a request', async () => {
    const register = new Registry();
    const { port, middleware } = await startApp(servers, {
      certificate,
      middleware: { prometheus: { register } },
    });
    expect(middleware.guard).toBeNull();
    expect(middleware.metrics().capture).toBeNull();

    expect((await sendRequest(port)).status).toBe(200);
    expect(middleware.metrics().capture?.captured).toBe(1);
    await middleware.ready();
    expect(await register.metrics()).toContain('ja4guard_capture_fingerprinted_total 1');
    await middleware.close();
  });
});

describe('express middleware options', () => {
  function optionError(options: object): unknown {
    try {
      ja4guard(options as Ja4guardMiddlewareOptions);
    } catch (error) {
      return error;
    }
    return null;
  }

  it('rejects guard options next to guard', async () => {
    const guard = createGuard();
    const error = optionError({ guard, store: { type: 'memory' } });
    expect(error).toBeInstanceOf(MiddlewareOptionError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_MIDDLEWARE_OPTION', option: 'store' });
    await guard.close();
  });

  it('rejects settings without a guard', () => {
    expect(optionError({ onBlocked: () => {} })).toMatchObject({ option: 'onBlocked' });
    expect(optionError({ handler: () => {} })).toMatchObject({ option: 'handler' });
    expect(optionError({ failClosed: true })).toMatchObject({ option: 'failClosed' });
  });

  it('rejects a logger without error', () => {
    const error = optionError({ rules: [], logger: { warn: () => {}, info: () => {} } });
    expect(error).toMatchObject({ option: 'logger' });
    expect((error as Error).message).toContain('missing: error');
  });

  it('rejects an invalid attachCapture guard', () => {
    const server = https.createServer(certificate);
    expect(() => attachCapture(server, { guard: {} as never })).toThrow(
      expect.objectContaining({ option: 'guard' }),
    );
    expect(() => attachCapture(server, { dropBeforeHandshake: false })).toThrow(
      expect.objectContaining({ option: 'dropBeforeHandshake' }),
    );
  });
});
