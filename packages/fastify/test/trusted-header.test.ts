import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../test/helpers/certificate.js';
import { NotTlsServerError, type TrustedHeaderOptions } from '../src/index.js';
import { LEVEL, recordLogs, startApp } from './helpers/app.js';
import { sendRequest } from './helpers/clients.js';

const HEADER_JA4 = 't13d1516h2_8daaf6152771_e5627efa2ab1';
const trustedHeader: TrustedHeaderOptions = { header: 'x-ja4', trustedProxies: ['127.0.0.1'] };
/** A second loopback address, so a client can come from a peer that is not trusted. */
const OTHER_PEER = '127.0.0.2';

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

function fingerprintOf(body: string): Record<string, unknown> {
  return (JSON.parse(body) as { tlsFingerprint: Record<string, unknown> }).tlsFingerprint;
}

describe('trusted header over https', () => {
  it('reads the header from a trusted peer', async () => {
    const { port } = await startApp(apps, { certificate, plugin: { trustedHeader } });
    const response = await sendRequest(port, {
      path: '/fingerprint',
      headers: { 'x-ja4': HEADER_JA4 },
    });
    expect(JSON.parse(response.body).ja4).toBe(HEADER_JA4);
    expect(fingerprintOf(response.body)).toEqual({
      source: 'header',
      header: 'x-ja4',
      ja4: HEADER_JA4,
      ja4_r: null,
      ja4_o: null,
      ja4_ro: null,
      ja3: null,
      ja3_full: null,
      serverName: null,
      alpnProtocols: [],
      tlsVersions: [],
    });
  });

  it('ignores the header from another peer', async () => {
    const { lines, logger } = recordLogs();
    const { app, port } = await startApp(apps, { certificate, logger, plugin: { trustedHeader } });
    for (let index = 0; index < 2; index++) {
      const response = await sendRequest(port, {
        path: '/fingerprint',
        headers: { 'x-ja4': HEADER_JA4 },
        localAddress: OTHER_PEER,
      });
      expect(JSON.parse(response.body).ja4).toBe(nodeJa4);
      expect(fingerprintOf(response.body).source).toBe('socket');
    }
    expect(app.ja4guard.headerSource!.stats()).toMatchObject({ accepted: 0, rejectedUntrusted: 2 });
    const warnings = lines.filter((line) => line.level === LEVEL.warn);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ header: 'x-ja4', peer: OTHER_PEER });
  });

  it('blocks by the header JA4', async () => {
    const { port } = await startApp(apps, {
      certificate,
      plugin: {
        trustedHeader,
        rules: [{ name: 'listed', match: { ja4: HEADER_JA4 }, action: 'block' }],
      },
    });
    const headers = { 'x-ja4': HEADER_JA4 };
    expect((await sendRequest(port, { headers })).status).toBe(403);
    expect((await sendRequest(port, { headers, localAddress: OTHER_PEER })).status).toBe(200);
  });
});

describe('trusted header over plain HTTP', () => {
  it('starts without TLS', async () => {
    const { app, port } = await startApp(apps, {
      certificate: null,
      plugin: {
        trustedHeader,
        rules: [{ name: 'no-fingerprint', match: { missing: true }, action: 'block' }],
      },
    });
    const response = await sendRequest(port, {
      plain: true,
      path: '/fingerprint',
      headers: { 'x-ja4': HEADER_JA4 },
    });
    expect(response.status).toBe(200);
    expect(fingerprintOf(response.body)).toMatchObject({ source: 'header', ja4: HEADER_JA4 });

    const missing = await sendRequest(port, { plain: true });
    expect(missing.status).toBe(403);
    expect(() => app.ja4guard.capture).toThrow(NotTlsServerError);
    expect(app.ja4guard.metrics()).toMatchObject({
      capture: null,
      headerSource: { accepted: 1, missingFromTrusted: 1 },
    });
  });
});
