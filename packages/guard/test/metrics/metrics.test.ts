import type { CaptureStats } from '@ja4guard/core';
import * as promClient from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import {
  collectMetrics,
  createGuard,
  createHeaderSource,
  type Guard,
  redisStore,
  registerPrometheusMetrics,
} from '../../src/index.js';
import { CHROME_JA4, context } from '../helpers/context.js';
import { checkRedis, createClient, uniquePrefix, waitUntilReady } from '../helpers/redis.js';
import {
  createTempDirectory,
  freePort,
  removeDirectory,
  startRedisServer,
} from '../helpers/redis-server.js';

const CAPTURE_STATS: CaptureStats = {
  captured: 120,
  notTls: 7,
  notTlsByKind: { http: 5, other: 2 },
  sslv2: 1,
  malformed: 3,
  malformedByCode: { ERR_TRUNCATED: 2, ERR_INVALID_EXTENSION: 1 },
  timedOut: 4,
  oversized: 1,
  incomplete: 6,
  dropped: 9,
  hookFailed: 0,
  proxyAccepted: 30,
  proxyRejected: 2,
  pending: 1,
};

const capture = { stats: (): CaptureStats => structuredClone(CAPTURE_STATS) };
const guards: Guard[] = [];

async function busyGuard(): Promise<Guard> {
  const guard = createGuard({
    rules: [
      { name: 'office', match: { ip: '10.0.0.0/8' }, action: 'allow' },
      { name: 'old-tls', match: { ja4: 't12*' }, action: 'log' },
      { name: 'api', action: 'rateLimit', rateLimit: { points: 1, duration: 60 } },
      { name: 'early', stage: 'connection', match: { ja4: 't10*' }, action: 'block' },
    ],
  });
  guards.push(guard);
  await guard.check(context({ ip: '10.1.1.1' }));
  await guard.check(context());
  await guard.check(context());
  await guard.blocklist.add('t13d3112h2_e8f1e7e78f70_6bebaf5329ac');
  await guard.check(
    context({
      fingerprint: {
        ja4: 't13d3112h2_e8f1e7e78f70_6bebaf5329ac',
        ja3: '',
        serverName: null,
        alpnProtocols: [],
      },
    }),
  );
  return guard;
}

function headerSource() {
  const source = createHeaderSource({ preset: 'cloudfront', trustedProxies: ['10.0.0.0/8'] });
  const header = 'cloudfront-viewer-ja4-fingerprint';
  source.resolve({ peerAddress: '10.0.0.1', headers: { [header]: CHROME_JA4 } }, null);
  source.resolve({ peerAddress: '198.51.100.1', headers: { [header]: CHROME_JA4 } }, null);
  source.resolve({ peerAddress: '10.0.0.1', headers: { [header]: 'nope' } }, null);
  return source;
}

afterEach(async () => {
  await Promise.all(guards.splice(0).map((guard) => guard.close()));
});

describe('collectMetrics', () => {
  test('snapshot of every source', async () => {
    const guard = await busyGuard();
    const snapshot = collectMetrics({ capture, guard, headerSource: headerSource() });

    expect(snapshot.capture).toEqual(CAPTURE_STATS);
    expect(snapshot.headerSource).toEqual({
      accepted: 1,
      rejectedUntrusted: 1,
      rejectedInvalid: 1,
      missingFromTrusted: 0,
    });
    expect(snapshot.guard?.storeAvailable).toBe(true);
    expect(snapshot.guard?.storeOutages).toBe(0);
    expect(snapshot.guard?.blocklistSize).toBe(1);
    expect(snapshot.guard?.requestDecisions).toEqual({
      byAction: { allow: 1, block: 1, limit: 1, log: 0, pass: 1 },
      byRule: { office: { allow: 1 }, api: { pass: 1, limit: 1 } },
      blocklist: 1,
      storeUnavailable: 0,
    });
    expect(snapshot.guard?.connectionDecisions.byAction).toEqual({
      allow: 0,
      block: 0,
      limit: 0,
      log: 0,
      pass: 0,
    });
  });

  test('missing sources are null', () => {
    expect(collectMetrics({})).toEqual({ capture: null, guard: null, headerSource: null });
  });

  test('snapshot is a copy', async () => {
    const guard = await busyGuard();
    const before = collectMetrics({ guard });
    await guard.check(context());
    expect(before.guard?.requestDecisions.byAction.limit).toBe(1);
    expect(collectMetrics({ guard }).guard?.requestDecisions.byAction.limit).toBe(2);
  });
});

describe('registerPrometheusMetrics', () => {
  test('registry text has series', async () => {
    const guard = await busyGuard();
    const register = new promClient.Registry();
    const metrics = await registerPrometheusMetrics({
      register,
      client: promClient,
      capture,
      guard,
      headerSource: headerSource(),
    });
    const text = await register.metrics();

    const expected = [
      'ja4guard_capture_fingerprinted_total 120',
      'ja4guard_capture_not_tls_total{kind="http"} 5',
      'ja4guard_capture_not_tls_total{kind="tls-record"} 0',
      'ja4guard_capture_malformed_total{code="ERR_TRUNCATED"} 2',
      'ja4guard_capture_timed_out_total 4',
      'ja4guard_capture_dropped_total 9',
      'ja4guard_capture_proxy_headers_total{result="accepted"} 30',
      'ja4guard_capture_proxy_headers_total{result="rejected"} 2',
      'ja4guard_capture_pending 1',
      'ja4guard_decisions_total{stage="request",action="limit"} 1',
      'ja4guard_decisions_total{stage="connection",action="block"} 0',
      'ja4guard_rule_decisions_total{stage="request",rule="api",action="pass"} 1',
      'ja4guard_rule_decisions_total{stage="request",rule="office",action="allow"} 1',
      'ja4guard_blocklist_hits_total{stage="request"} 1',
      'ja4guard_store_outages_total 0',
      'ja4guard_store_available 1',
      'ja4guard_blocklist_entries 1',
      'ja4guard_header_fingerprints_total{result="accepted"} 1',
      'ja4guard_header_fingerprints_total{result="rejected_untrusted"} 1',
      'ja4guard_header_fingerprints_total{result="rejected_invalid"} 1',
    ];
    for (const line of expected) {
      expect(text.split('\n'), line).toContain(line);
    }
    expect(text).toContain('# TYPE ja4guard_decisions_total counter');
    expect(text).toContain('# TYPE ja4guard_capture_pending gauge');
    expect(metrics.names).toContain('ja4guard_decisions_total');
  });

  test('values read at scrape time', async () => {
    const guard = await busyGuard();
    const register = new promClient.Registry();
    await registerPrometheusMetrics({ register, client: promClient, guard });

    await guard.check(context());
    await guard.check(context());
    const text = await register.metrics();
    expect(text).toContain('ja4guard_decisions_total{stage="request",action="limit"} 3');
    const again = await register.metrics();
    expect(again).toContain('ja4guard_decisions_total{stage="request",action="limit"} 3');
  });

  test('prom-client loaded on demand', async () => {
    const guard = await busyGuard();
    const register = new promClient.Registry();
    await registerPrometheusMetrics({ register, guard, prefix: 'app_' });
    expect(await register.metrics()).toContain('app_store_available 1');
  });

  test('unregister removes metrics', async () => {
    const guard = await busyGuard();
    const register = new promClient.Registry();
    const metrics = await registerPrometheusMetrics({ register, client: promClient, guard });
    metrics.unregister();
    expect(await register.metrics()).not.toContain('ja4guard_');
    await registerPrometheusMetrics({ register, client: promClient, guard });
    expect(await register.metrics()).toContain('ja4guard_store_available 1');
  });

  test('duplicate names rejected', async () => {
    const guard = await busyGuard();
    const register = new promClient.Registry();
    await registerPrometheusMetrics({ register, client: promClient, guard });
    await expect(
      registerPrometheusMetrics({ register, client: promClient, guard, capture }),
    ).rejects.toMatchObject({
      code: 'ERR_JA4GUARD_INVALID_OPTION',
      option: 'prefix',
      value: 'ja4guard_decisions_total',
    });
    const text = await register.metrics();
    expect(text).not.toContain('ja4guard_capture_fingerprinted_total');
    expect(text).toContain('ja4guard_decisions_total');
  });

  test.each([
    ['prefix', { prefix: '1abc' }],
    ['options', {}],
    ['guard', { guard: {} }],
    ['register', { register: {} }],
    ['client', { client: {} }],
    ['registry', { registry: {} }],
  ])('invalid %s', async (option, extra) => {
    const guard = await busyGuard();
    const options = { register: new promClient.Registry(), guard, ...extra };
    if (option === 'options') {
      delete (options as { guard?: unknown }).guard;
    }
    await expect(registerPrometheusMetrics(options as never)).rejects.toMatchObject({
      code: 'ERR_JA4GUARD_INVALID_OPTION',
      option,
    });
  });
});

// A reply from the shared Redis shows that redis-server is installed; this test stops only its own server.
const redis = await checkRedis();

describe.skipIf(!redis.available)(
  `store outage metrics${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    test('outage counted once', async () => {
      const directory = await createTempDirectory();
      const port = await freePort();
      const server = await startRedisServer(port, directory);
      const client = createClient(port);
      try {
        await waitUntilReady(client);
        const guard = createGuard({
          store: redisStore(client),
          keyPrefix: uniquePrefix(),
          redisTimeoutMs: 50,
          redisProbeIntervalMs: 100,
          rules: [{ name: 'api', action: 'rateLimit', rateLimit: { points: 100, duration: 60 } }],
        });
        guards.push(guard);
        await guard.ready();
        await guard.check(context());
        expect(guard.stats().storeOutages).toBe(0);

        await server.stop();
        for (let i = 0; i < 5; i++) {
          await guard.check(context());
        }
        const stats = guard.stats();
        expect(stats.storeAvailable).toBe(false);
        expect(stats.storeOutages).toBe(1);
        expect(stats.requestDecisions.byAction.pass).toBe(6);

        const register = new promClient.Registry();
        await registerPrometheusMetrics({ register, client: promClient, guard });
        const text = await register.metrics();
        expect(text).toContain('ja4guard_store_outages_total 1');
        expect(text).toContain('ja4guard_store_available 0');
      } finally {
        client.disconnect();
        await server.stop();
        await removeDirectory(directory);
      }
    });
  },
);
