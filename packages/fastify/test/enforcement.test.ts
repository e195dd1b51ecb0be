import { createGuard, type Decision, type GuardRule } from '@ja4guard/guard';
import { Registry } from 'prom-client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../test/helpers/certificate.js';
import { delay } from '../../../test/helpers/net.js';
import { hasTool } from '../../../test/helpers/tools.js';
import { PluginOptionError } from '../src/index.js';
import { guardLines, LEVEL, recordLogs, startApp } from './helpers/app.js';
import { curlGet, http2Get, sendRequest } from './helpers/clients.js';

const curl = hasTool('curl');

let certificate: TestCertificate;
/** JA4 of Node's https client on this machine, read from a first request. */
let nodeJa4: string;
const apps: Array<{ close(): PromiseLike<unknown> }> = [];

beforeAll(async () => {
  certificate = await testCertificate();
  const { port } = await startApp(apps, { certificate });
  nodeJa4 = (await sendRequest(port)).body;
  expect(nodeJa4).toMatch(/^t13i/);
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
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

describe('fastify plugin blocking', () => {
  it('blocks a rule match with 403', async () => {
    const { lines, logger } = recordLogs();
    const { port } = await startApp(apps, {
      certificate,
      logger,
      plugin: { rules: [blockNode()] },
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

    const [line] = guardLines(lines);
    expect(line?.level).toBe(LEVEL.info);
    expect(line?.msg).toContain('"node-client"');
    expect(line).toMatchObject({
      action: 'block',
      rule: 'node-client',
      enforced: true,
      ja4: nodeJa4,
      ip: '127.0.0.1',
      method: 'GET',
      path: '/',
    });
  });

  it('lets other clients through', async () => {
    const rules: GuardRule[] = [
      { name: 'other', match: { ja4: 't13d1516h2_8daaf6152771_e5627efa2ab1' }, action: 'block' },
    ];
    const { lines, logger } = recordLogs();
    const { port } = await startApp(apps, { certificate, logger, plugin: { rules } });
    const response = await sendRequest(port);
    expect(response.status).toBe(200);
    expect(response.body).toBe(nodeJa4);
    expect(guardLines(lines)).toEqual([]);
  });

  it.skipIf(!curl)('blocks curl by its JA4', async () => {
    // curl --http1.1 offers ALPN http/1.1, so its JA4 has h1 where Node's client, which offers none, has 00.
    const { port } = await startApp(apps, {
      certificate,
      plugin: { rules: [{ name: 'curl', match: { ja4: 't13i????h1' }, action: 'block' }] },
    });
    const response = await curlGet(port, 'http1.1');
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ rule: 'curl' });
    expect((await sendRequest(port)).status).toBe(200);
  });

  it('blocks over HTTP/2', async () => {
    const { port } = await startApp(apps, {
      certificate,
      http2: true,
      plugin: { rules: [{ name: 'h2', match: { alpn: 'h2' }, action: 'block' }] },
    });
    const response = await http2Get(port);
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ rule: 'h2' });
  });

  it('blocks requests without a fingerprint', async () => {
    const { app } = await startApp(apps, {
      certificate,
      plugin: { rules: [{ name: 'no-fingerprint', match: { missing: true }, action: 'block' }] },
    });
    const response = await app.inject({ url: '/' });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ rule: 'no-fingerprint' });
  });

  it('blocks a blocklisted JA4', async () => {
    const { app, port } = await startApp(apps, {
      certificate,
      plugin: { rules: [], dropBeforeHandshake: false },
    });
    await app.ja4guard.guard!.blocklist.add(nodeJa4, { ttlSeconds: 60 });
    const response = await sendRequest(port);
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ rule: null, reason: 'blocklist' });
  });

  it('builds a custom body', async () => {
    const { port } = await startApp(apps, {
      certificate,
      plugin: {
        rules: [blockNode()],
        buildBody: (decision, request) => ({ denied: decision.rule, url: request.url }),
      },
    });
    const response = await sendRequest(port, { path: '/fingerprint' });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ denied: 'node-client', url: '/fingerprint' });
  });

  it('sends the default body when buildBody throws', async () => {
    const { lines, logger } = recordLogs();
    const { port } = await startApp(apps, {
      certificate,
      logger,
      plugin: {
        rules: [blockNode()],
        buildBody: () => {
          throw new Error('template missing');
        },
      },
    });
    for (let index = 0; index < 2; index++) {
      const response = await sendRequest(port);
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body)).toMatchObject({ rule: 'node-client' });
    }
    const errors = lines.filter((line) => line.level === LEVEL.error);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toContain('buildBody');
  });
});

describe('fastify plugin rate limits', () => {
  const perClient: GuardRule = {
    name: 'per-client',
    action: 'rateLimit',
    rateLimit: { points: 2, duration: 1 },
  };

  it('limits with 429 and recovers', async () => {
    const { lines, logger } = recordLogs();
    const { port } = await startApp(apps, { certificate, logger, plugin: { rules: [perClient] } });

    const first = await sendRequest(port);
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"per-client";q=2;w=1');
    expect(first.headers.ratelimit).toBe('"per-client";r=1;t=1');
    const second = await sendRequest(port);
    expect(second.status).toBe(200);
    expect(second.headers.ratelimit).toBe('"per-client";r=0;t=1');

    const limited = await sendRequest(port);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers['ratelimit-policy']).toBe('"per-client";q=2;w=1');
    expect(limited.headers.ratelimit).toBe('"per-client";r=0;t=1');
    expect(JSON.parse(limited.body)).toMatchObject({
      statusCode: 429,
      error: 'Too Many Requests',
      rule: 'per-client',
      retryAfterSeconds: 1,
    });
    const [line] = guardLines(lines);
    expect(line).toMatchObject({ action: 'limit', rule: 'per-client', enforced: true });
    expect(line?.key).toBe(`${nodeJa4}|127.0.0.1`);

    expect(await waitForStatus(port, 200, 3_000)).toBe(200);
  });

  it('sends legacy headers', async () => {
    const { port } = await startApp(apps, {
      certificate,
      plugin: { rules: [perClient], rateLimitHeaders: 'legacy' },
    });
    const response = await sendRequest(port);
    expect(response.headers['ratelimit-limit']).toBe('2');
    expect(response.headers['ratelimit-remaining']).toBe('1');
    expect(response.headers['ratelimit-reset']).toBe('1');
    expect(response.headers.ratelimit).toBeUndefined();
  });

  it('omits headers on pass when asked', async () => {
    const { port } = await startApp(apps, {
      certificate,
      plugin: { rules: [perClient], headersOnPass: false },
    });
    const response = await sendRequest(port);
    expect(response.status).toBe(200);
    expect(response.headers.ratelimit).toBeUndefined();
  });
});

describe('fastify plugin dry run', () => {
  it('never blocks and logs', async () => {
    const { lines, logger } = recordLogs();
    const { port } = await startApp(apps, {
      certificate,
      logger,
      plugin: {
        mode: 'dry-run',
        rules: [
          blockNode(),
          { name: 'tight', action: 'rateLimit', rateLimit: { points: 1, duration: 60 } },
        ],
      },
    });
    for (let index = 0; index < 3; index++) {
      const response = await sendRequest(port);
      expect(response.status).toBe(200);
      expect(response.headers.ratelimit).toBeUndefined();
    }
    const logged = guardLines(lines);
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatchObject({ action: 'block', rule: 'node-client', enforced: false });
    expect(logged[0]?.msg).toContain('dry run: would have blocked');
  });
});

describe('fastify plugin decision logs', () => {
  it('logs pass decisions at debug', async () => {
    const { lines, logger } = recordLogs('debug');
    const { port } = await startApp(apps, {
      certificate,
      logger,
      plugin: { rules: [], decisionLogLevel: 'debug' },
    });
    await sendRequest(port);
    const [line] = guardLines(lines);
    expect(line).toMatchObject({ level: LEVEL.debug, action: 'pass', ja4: nodeJa4 });
  });

  it('writes no lines with false', async () => {
    const { lines, logger } = recordLogs();
    const { port } = await startApp(apps, {
      certificate,
      logger,
      plugin: { rules: [blockNode()], decisionLogLevel: false },
    });
    expect((await sendRequest(port)).status).toBe(403);
    expect(guardLines(lines)).toEqual([]);
  });

  it('logs the user agent, no other header', async () => {
    const { lines, logger } = recordLogs('warn');
    const { port } = await startApp(apps, {
      certificate,
      logger,
      plugin: {
        rules: [{ name: 'watch', match: { userAgent: 'probe' }, action: 'log' }],
        decisionLogLevel: 'warn',
      },
    });
    const headers = { 'user-agent': 'probe/1.0', authorization: 'Bearer secret-token' };
    expect((await sendRequest(port, { headers })).status).toBe(200);
    const [line] = guardLines(lines);
    expect(line).toMatchObject({ level: LEVEL.warn, action: 'log', userAgent: 'probe/1.0' });
    expect(line?.logRules).toEqual(['watch']);
    expect(JSON.stringify(line)).not.toContain('secret-token');
  });
});

describe('fastify plugin hooks', () => {
  it('calls the decision hooks', async () => {
    const seen: Array<[string, Decision, string]> = [];
    const { port } = await startApp(apps, {
      certificate,
      plugin: {
        rules: [
          { name: 'blocked-path', match: { path: '/fingerprint' }, action: 'block' },
          { name: 'tight', action: 'rateLimit', rateLimit: { points: 1, duration: 60 } },
        ],
        onDecision: (decision, request) => seen.push(['decision', decision, request.url]),
        onBlocked: (decision, request) => seen.push(['blocked', decision, request.url]),
        onLimited: (decision, request) => seen.push(['limited', decision, request.url]),
      },
    });
    expect((await sendRequest(port, { path: '/fingerprint' })).status).toBe(403);
    expect((await sendRequest(port)).status).toBe(200);
    expect((await sendRequest(port)).status).toBe(429);

    expect(seen.map(([hook, decision, url]) => [hook, decision.action, url])).toEqual([
      ['decision', 'block', '/fingerprint'],
      ['blocked', 'block', '/fingerprint'],
      ['decision', 'pass', '/'],
      ['decision', 'limit', '/'],
      ['limited', 'limit', '/'],
    ]);
  });

  it('survives a throwing hook', async () => {
    const { lines, logger } = recordLogs();
    let calls = 0;
    const { port } = await startApp(apps, {
      certificate,
      logger,
      plugin: {
        rules: [blockNode()],
        onBlocked: () => {
          calls++;
          throw new Error('metrics backend down');
        },
        onDecision: async () => {
          throw new Error('rejected');
        },
      },
    });
    for (let index = 0; index < 3; index++) {
      expect((await sendRequest(port)).status).toBe(403);
    }
    expect(calls).toBe(3);
    const errors = lines.filter((line) => line.level === LEVEL.error);
    expect(errors.map((line) => line.hook).sort()).toEqual(['onBlocked', 'onDecision']);
    expect(errors[0]?.msg).toContain('hook');
  });
});

describe('fastify plugin failures', () => {
  it('lets requests through when the check throws', async () => {
    const { lines, logger } = recordLogs();
    const { app, port } = await startApp(apps, { certificate, logger, plugin: { rules: [] } });
    app.ja4guard.guard!.evaluate = () => {
      throw new Error('internal bug');
    };
    expect((await sendRequest(port)).status).toBe(200);
    expect((await sendRequest(port)).status).toBe(200);
    const errors = lines.filter(
      (line) => line.level === LEVEL.error && line.msg.startsWith('ja4guard'),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ failClosed: false });
  });

  it('fails closed with 500', async () => {
    const { app, port } = await startApp(apps, {
      certificate,
      plugin: { rules: [], failClosed: true },
    });
    app.ja4guard.guard!.evaluate = () => Promise.reject(new Error('internal bug'));
    const response = await sendRequest(port);
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'ERR_JA4GUARD_CHECK_FAILED' });
  });
});

describe('fastify plugin guard option', () => {
  it('uses a shared guard and leaves it open', async () => {
    const guard = createGuard({ rules: [blockNode('shared')] });
    let closed = 0;
    const close = guard.close.bind(guard);
    guard.close = () => {
      closed++;
      return close();
    };
    const first = await startApp(apps, { certificate, plugin: { guard } });
    const second = await startApp(apps, { certificate, plugin: { guard } });
    expect(first.app.ja4guard.guard).toBe(guard);
    expect((await sendRequest(first.port)).status).toBe(403);
    expect((await sendRequest(second.port)).status).toBe(403);
    for (const app of apps.splice(0)) await app.close();
    expect(closed).toBe(0);
    expect(guard.stats().requestDecisions.byAction.block).toBe(2);
    await guard.close();
  });

  it('closes its own guard', async () => {
    const { app } = await startApp(apps, { certificate, plugin: { rules: [] } });
    const guard = app.ja4guard.guard!;
    let closed = 0;
    const close = guard.close.bind(guard);
    guard.close = () => {
      closed++;
      return close();
    };
    await app.close();
    expect(closed).toBe(1);
  });
});

describe('fastify plugin metrics', () => {
  it('returns a metrics snapshot', async () => {
    const { app, port } = await startApp(apps, { certificate, plugin: { rules: [blockNode()] } });
    await sendRequest(port);
    const metrics = app.ja4guard.metrics();
    expect(metrics.capture?.captured).toBe(1);
    expect(metrics.guard?.requestDecisions.byAction.block).toBe(1);
    expect(metrics.headerSource).toBeNull();
  });

  it('registers Prometheus metrics', async () => {
    const register = new Registry();
    const { app, port } = await startApp(apps, {
      certificate,
      plugin: { rules: [blockNode()], prometheus: { register } },
    });
    await sendRequest(port);
    const text = await register.metrics();
    expect(text).toContain('ja4guard_decisions_total{stage="request",action="block"} 1');
    expect(text).toContain('ja4guard_capture_fingerprinted_total 1');
    await app.close();
    expect(register.getMetricsAsArray()).toEqual([]);
  });
});

describe('fastify plugin options', () => {
  async function registrationError(plugin: object): Promise<unknown> {
    const { default: Fastify } = await import('fastify');
    const { ja4guard } = await import('../src/index.js');
    const app = Fastify({ https: certificate });
    apps.push(app);
    app.register(ja4guard, plugin as never);
    return app.ready().then(
      () => null,
      (error: unknown) => error,
    );
  }

  it('rejects guard options next to guard', async () => {
    const guard = createGuard();
    const error = await registrationError({ guard, rules: [] });
    expect(error).toBeInstanceOf(PluginOptionError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_PLUGIN_OPTION', option: 'rules' });
    expect((error as Error).message).toContain('createGuard()');
    await guard.close();
  });

  it('rejects settings without a guard', async () => {
    for (const option of [
      'decisionLogLevel',
      'store',
      'mode',
      'onBlocked',
      'dropBeforeHandshake',
    ]) {
      const value =
        option === 'onBlocked' ? () => {} : option === 'dropBeforeHandshake' ? true : 'x';
      const error = await registrationError({ [option]: value });
      expect(error, option).toMatchObject({ code: 'ERR_INVALID_PLUGIN_OPTION', option });
    }
  });

  it('rejects an invalid decisionLogLevel', async () => {
    const error = await registrationError({ rules: [], decisionLogLevel: 'loud' });
    expect(error).toMatchObject({ option: 'decisionLogLevel', value: 'loud' });
  });

  it('rejects a hook that is no function', async () => {
    const error = await registrationError({ rules: [], onDecision: 'log' });
    expect(error).toMatchObject({ option: 'onDecision' });
  });

  it('rejects an invalid rule', async () => {
    const error = await registrationError({ rules: [{ name: 'x', action: 'ban' }] });
    expect(error).toMatchObject({ code: 'ERR_JA4GUARD_INVALID_RULE' });
  });

  it('rejects an invalid trustedHeader', async () => {
    const error = await registrationError({ trustedHeader: { header: 'x-ja4' } });
    expect(error).toMatchObject({ code: 'ERR_JA4GUARD_INVALID_OPTION', option: 'trustedProxies' });
  });
});
