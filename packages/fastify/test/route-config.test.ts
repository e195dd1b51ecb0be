import type { AddressInfo } from 'node:net';
import { createGuard, type Decision, type GuardRule } from '@ja4guard/guard';
import Fastify from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../test/helpers/certificate.js';
import { ja4guard } from '../src/index.js';
import { guardLines, recordLogs, startApp } from './helpers/app.js';
import { sendRequest } from './helpers/clients.js';

let certificate: TestCertificate;
let nodeJa4: string;
const apps: Array<{ close(): PromiseLike<unknown> }> = [];

beforeAll(async () => {
  certificate = await testCertificate();
  const { port } = await startApp(apps, { certificate });
  nodeJa4 = (await sendRequest(port)).body;
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

function loginLimit(points: number, name = 'login-limit'): GuardRule {
  return { name, action: 'rateLimit', rateLimit: { points, duration: 60 } };
}

describe('route config', () => {
  it('skips the guard with false', async () => {
    const { port } = await startApp(apps, {
      certificate,
      plugin: { rules: [{ name: 'all', action: 'block' }] },
      routes: (app) => {
        app.get('/health', { config: { ja4guard: false } }, async (request) => request.ja4);
      },
    });
    const health = await sendRequest(port, { path: '/health' });
    expect(health.status).toBe(200);
    expect(health.body).toBe(nodeJa4);
    expect((await sendRequest(port)).status).toBe(403);
    expect((await sendRequest(port, { path: '/missing' })).status).toBe(403);
  });

  it('adds route rules', async () => {
    const { lines, logger } = recordLogs();
    const { port } = await startApp(apps, {
      certificate,
      logger,
      plugin: { rules: [] },
      routes: (app) => {
        app.get('/login', { config: { ja4guard: { rules: [loginLimit(1)] } } }, async () => 'ok');
      },
    });
    expect((await sendRequest(port, { path: '/login' })).status).toBe(200);
    const limited = await sendRequest(port, { path: '/login' });
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body)).toMatchObject({ rule: 'login-limit' });
    expect(limited.headers['ratelimit-policy']).toBe('"login-limit";q=1;w=60');
    expect(guardLines(lines)[0]).toMatchObject({ action: 'limit', rule: 'login-limit' });

    for (let index = 0; index < 3; index++) {
      expect((await sendRequest(port)).status).toBe(200);
    }
  });

  it('runs route rules before app rules', async () => {
    const decisions: Decision[] = [];
    const { port } = await startApp(apps, {
      certificate,
      plugin: {
        rules: [
          { name: 'watch', action: 'log' },
          { name: 'per-client', action: 'rateLimit', rateLimit: { points: 5, duration: 60 } },
        ],
        decisionLogLevel: false,
        onDecision: (decision) => decisions.push(decision),
      },
      routes: (app) => {
        app.get(
          '/login',
          {
            config: {
              ja4guard: { rules: [{ name: 'login-watch', action: 'log' }, loginLimit(2)] },
            },
          },
          async () => 'ok',
        );
      },
    });

    const first = await sendRequest(port, { path: '/login' });
    expect(first.status).toBe(200);
    // The route limit has fewer requests left than the app limit, so its fields are sent.
    expect(first.headers.ratelimit).toBe('"login-limit";r=1;t=60');
    expect(decisions[0]).toMatchObject({
      action: 'log',
      rule: 'login-limit',
      logs: ['login-watch', 'watch'],
    });

    const app = await sendRequest(port);
    expect(app.headers.ratelimit).toBe('"per-client";r=3;t=60');
  });

  it('shares one guard per config object', async () => {
    const shared = { rules: [loginLimit(2)] };
    const { port } = await startApp(apps, {
      certificate,
      plugin: { rules: [] },
      routes: (app) => {
        app.get('/a', { config: { ja4guard: shared } }, async () => 'a');
        app.post('/a', { config: { ja4guard: shared } }, async () => 'a');
      },
    });
    expect((await sendRequest(port, { path: '/a' })).status).toBe(200);
    expect((await sendRequest(port, { path: '/a', method: 'POST' })).status).toBe(200);
    expect((await sendRequest(port, { path: '/a' })).status).toBe(429);
  });

  it('applies a route ban on every route', async () => {
    const rule: GuardRule = {
      name: 'login-ban',
      action: 'rateLimit',
      rateLimit: { points: 1, duration: 60, ban: { after: 1, ttlSeconds: 60, scope: 'ja4' } },
    };
    const { app, port } = await startApp(apps, {
      certificate,
      plugin: { rules: [], dropBeforeHandshake: false },
      routes: (instance) => {
        instance.get('/login', { config: { ja4guard: { rules: [rule] } } }, async () => 'ok');
      },
    });
    expect((await sendRequest(port, { path: '/login' })).status).toBe(200);
    expect((await sendRequest(port, { path: '/login' })).status).toBe(429);
    expect(app.ja4guard.guard!.blocklist.has(nodeJa4)).toBe(true);
    const blocked = await sendRequest(port);
    expect(blocked.status).toBe(403);
    expect(JSON.parse(blocked.body)).toMatchObject({ reason: 'blocklist' });
  });

  it('counts route decisions in metrics', async () => {
    const { app, port } = await startApp(apps, {
      certificate,
      plugin: { rules: [] },
      routes: (instance) => {
        instance.get(
          '/login',
          { config: { ja4guard: { rules: [loginLimit(1)] } } },
          async () => 'ok',
        );
      },
    });
    await sendRequest(port, { path: '/login' });
    await sendRequest(port, { path: '/login' });
    const decisions = app.ja4guard.metrics().guard!.requestDecisions;
    expect(decisions.byAction).toMatchObject({ pass: 1, limit: 1 });
    expect(decisions.byRule['login-limit']).toEqual({ pass: 1, limit: 1 });
  });

  it('adds route rules to a passed guard', async () => {
    const guard = createGuard({ rules: [] });
    const { app, port } = await startApp(apps, {
      certificate,
      plugin: { guard },
      routes: (instance) => {
        instance.get(
          '/login',
          { config: { ja4guard: { rules: [loginLimit(1)] } } },
          async () => 'ok',
        );
      },
    });
    expect((await sendRequest(port, { path: '/login' })).status).toBe(200);
    const limited = await sendRequest(port, { path: '/login' });
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body)).toMatchObject({ rule: 'login-limit' });
    expect((await sendRequest(port)).status).toBe(200);

    await app.close();
    // The plugin leaves a passed guard open, and its blocklist still takes writes.
    await guard.blocklist.add(nodeJa4, { ttlSeconds: 60 });
    expect(guard.blocklist.has(nodeJa4)).toBe(true);
    await guard.close();
  });

  it('counts route keys once in trackedKeys', async () => {
    const { app, port } = await startApp(apps, {
      certificate,
      plugin: { rules: [loginLimit(5, 'per-client')] },
      routes: (instance) => {
        instance.get(
          '/login',
          { config: { ja4guard: { rules: [loginLimit(5)] } } },
          async () => 'ok',
        );
      },
    });
    await sendRequest(port, { path: '/login' });
    // One key for the route limit and one for the app limit, both in the app guard's budget.
    expect(app.ja4guard.metrics().guard!.trackedKeys).toBe(2);
  });

  it('warns about routes added before the plugin', async () => {
    const { lines, logger } = recordLogs();
    const app = Fastify({ https: certificate, logger });
    apps.push(app);
    app.get('/early', { config: { ja4guard: { rules: [loginLimit(1)] } } }, async () => 'early');
    await app.register(ja4guard, { rules: [] });
    app.get('/late', { config: { ja4guard: false } }, async () => 'late');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;

    for (let index = 0; index < 2; index++) {
      expect((await sendRequest(port, { path: '/early' })).status).toBe(200);
    }
    const warnings = guardLines(lines).filter((line) => line.msg.includes('before the plugin'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.rules).toEqual(['login-limit']);
  });
});

describe('route config errors', () => {
  async function routeError(plugin: object, config: unknown, routeCount = 1): Promise<unknown> {
    const app = Fastify({ https: certificate });
    apps.push(app);
    try {
      await app.register(ja4guard, plugin as never);
      for (let index = 0; index < routeCount; index++) {
        app.get(`/r${index}`, { config: { ja4guard: config as never } }, async () => 'ok');
      }
      await app.ready();
      return null;
    } catch (error) {
      return error;
    }
  }

  it('rejects an allow rule', async () => {
    const error = await routeError({ rules: [] }, { rules: [{ name: 'office', action: 'allow' }] });
    expect(error).toMatchObject({
      code: 'ERR_INVALID_PLUGIN_OPTION',
      option: 'config.ja4guard of route GET /r0.rules[0].action',
    });
  });

  it('rejects a connection rule', async () => {
    const rule = { name: 'early', stage: 'connection', action: 'block' };
    const error = await routeError({ rules: [] }, { rules: [rule] });
    expect(error).toMatchObject({ option: 'config.ja4guard of route GET /r0.rules[0].stage' });
  });

  it('rejects route rules without plugin rules', async () => {
    const error = await routeError({}, { rules: [loginLimit(1)] });
    expect(error).toMatchObject({ code: 'ERR_INVALID_PLUGIN_OPTION' });
    expect((error as Error).message).toContain('register the plugin with rules');
  });

  it('rejects a rule name of the app', async () => {
    const error = await routeError({ rules: [loginLimit(5)] }, { rules: [loginLimit(1)] });
    expect(error).toMatchObject({ option: 'config.ja4guard of route GET /r0.rules[0].name' });
    expect((error as Error).message).toContain('the app rules');
  });

  it('rejects a rate-limit name of a passed guard', async () => {
    const guard = createGuard({ rules: [loginLimit(5)] });
    try {
      const error = await routeError({ guard }, { rules: [loginLimit(1)] });
      expect(error).toMatchObject({ option: 'config.ja4guard of route GET /r0.rules[0].name' });
      expect((error as Error).message).toContain('the app rules');
    } finally {
      await guard.close();
    }
  });

  it('rejects a rule name of another route', async () => {
    const app = Fastify({ https: certificate });
    apps.push(app);
    await app.register(ja4guard, { rules: [] });
    app.get('/a', { config: { ja4guard: { rules: [loginLimit(1)] } } }, async () => 'a');
    expect(() =>
      app.get('/b', { config: { ja4guard: { rules: [loginLimit(1)] } } }, async () => 'b'),
    ).toThrow(expect.objectContaining({ option: 'config.ja4guard of route GET /b.rules[0].name' }));
  });

  it('rejects a misspelled setting', async () => {
    const error = await routeError({ rules: [] }, { rule: [] });
    expect(error).toMatchObject({ code: 'ERR_INVALID_PLUGIN_OPTION' });
    const invalid = await routeError({ rules: [] }, true);
    expect(invalid).toMatchObject({ code: 'ERR_INVALID_PLUGIN_OPTION' });
  });

  it('reports an invalid route rule', async () => {
    const error = await routeError(
      { rules: [] },
      { rules: [{ name: 'bad', action: 'block', match: { ip: 'x' } }] },
    );
    expect(error).toMatchObject({ code: 'ERR_JA4GUARD_INVALID_IP' });
  });
});
