import type { AddressInfo } from 'node:net';
import { CaptureOptionError, type TlsFingerprint } from '@ja4guard/core';
import Fastify, { type FastifyInstance, type RawServerBase } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../test/helpers/certificate.js';
import { hasTool } from '../../../test/helpers/tools.js';
import { type Ja4guardPluginOptions, ja4guard } from '../src/index.js';
import { curlGet, http2Get, httpsGet, opensslGet, requestThroughProxy } from './helpers/clients.js';

const curl = hasTool('curl');
const openssl = hasTool('openssl', ['version']);

let certificate: TestCertificate;
const apps: Array<{ close(): PromiseLike<unknown> }> = [];

beforeAll(async () => {
  certificate = await testCertificate();
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** Adds the routes the tests read: `/` returns `request.ja4`, `/fingerprint` the whole object. */
function addRoutes<Server extends RawServerBase>(app: FastifyInstance<Server>): void {
  app.get('/', async (request) => request.ja4 ?? 'none');
  app.get('/fingerprint', async (request) => ({
    ja4: request.ja4,
    tlsFingerprint: request.tlsFingerprint,
  }));
}

async function startHttpsApp(options: Ja4guardPluginOptions = {}) {
  const app = Fastify({ https: certificate });
  apps.push(app);
  await app.register(ja4guard, options);
  addRoutes(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as AddressInfo).port };
}

async function startHttp2App(allowHTTP1 = false) {
  const app = Fastify({ http2: true, https: { ...certificate, allowHTTP1 } });
  apps.push(app);
  await app.register(ja4guard);
  addRoutes(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as AddressInfo).port };
}

describe('fastify plugin over https', () => {
  it('sets ja4 for a Node https client', async () => {
    const { port } = await startHttpsApp();
    const { response, expectedJa4 } = await requestThroughProxy(port, (proxyPort) =>
      httpsGet(proxyPort),
    );
    expect(response.status).toBe(200);
    expect(response.body).toBe(expectedJa4);
  });

  it('sets the whole tlsFingerprint', async () => {
    const { port } = await startHttpsApp();
    const response = await httpsGet(port, '/fingerprint');
    const body = JSON.parse(response.body) as { ja4: string; tlsFingerprint: TlsFingerprint };
    expect(body.tlsFingerprint.ja4).toBe(body.ja4);
    expect(body.tlsFingerprint.ja4_r).toMatch(/^t13i\d{4}00_/);
    expect(body.tlsFingerprint.ja3).toMatch(/^[0-9a-f]{32}$/);
    expect(body.tlsFingerprint.ja3_full).toMatch(/^771,/);
    // Node sends no SNI for an IP address and no ALPN unless asked to.
    expect(body.tlsFingerprint.serverName).toBeNull();
    expect(body.tlsFingerprint.alpnProtocols).toEqual([]);
    expect(body.tlsFingerprint.tlsVersions).toContain(0x0304);
    expect(body.tlsFingerprint.source).toBe('socket');
  });

  it.skipIf(!curl)('sets ja4 for curl over HTTP/1.1', async () => {
    const { port } = await startHttpsApp();
    const { response, expectedJa4 } = await requestThroughProxy(port, (proxyPort) =>
      curlGet(proxyPort, 'http1.1'),
    );
    expect(response.httpVersion).toBe('1.1');
    expect(response.body).toBe(expectedJa4);

    const node = await httpsGet(port);
    expect(node.body).toMatch(/^t13/);
    expect(response.body).not.toBe(node.body);
  });

  it.skipIf(!openssl)('sets ja4 for openssl s_client', async () => {
    const { port } = await startHttpsApp();
    const { response, expectedJa4 } = await requestThroughProxy(port, (proxyPort) =>
      opensslGet(proxyPort),
    );
    expect(response.status).toBe(200);
    expect(response.body).toBe(expectedJa4);
  });

  it('gives null to inject() requests', async () => {
    const app = Fastify({ https: certificate });
    apps.push(app);
    await app.register(ja4guard);
    addRoutes(app);
    const response = await app.inject({ url: '/fingerprint' });
    expect(response.json()).toEqual({ ja4: null, tlsFingerprint: null });
  });

  it('gives null after the capture is detached', async () => {
    const { app, port } = await startHttpsApp();
    app.ja4guard.capture.detach();
    expect((await httpsGet(port)).body).toBe('none');
  });

  it('exposes the capture counters', async () => {
    const { app, port } = await startHttpsApp();
    await httpsGet(port);
    await httpsGet(port);
    expect(app.ja4guard.capture.stats().captured).toBe(2);
  });
});

describe('fastify plugin over http2', () => {
  it('sets ja4 for a Node http2 client', async () => {
    const { port } = await startHttp2App();
    const { response, expectedJa4 } = await requestThroughProxy(port, (proxyPort) =>
      http2Get(proxyPort),
    );
    expect(response.status).toBe(200);
    expect(response.body).toBe(expectedJa4);
    // The ALPN characters of JA4: the client offered h2.
    expect(response.body.slice(8, 10)).toBe('h2');
  });

  it.skipIf(!curl)('sets ja4 for curl over HTTP/2', async () => {
    const { port } = await startHttp2App();
    const { response, expectedJa4 } = await requestThroughProxy(port, (proxyPort) =>
      curlGet(proxyPort, 'http2'),
    );
    expect(response.httpVersion).toBe('2');
    expect(response.body).toBe(expectedJa4);

    const node = await http2Get(port);
    expect(node.body).toMatch(/^t13/);
    expect(response.body).not.toBe(node.body);
  });

  it.skipIf(!curl)('sets ja4 for HTTP/1.1 with allowHTTP1', async () => {
    const { port } = await startHttp2App(true);
    const { response, expectedJa4 } = await requestThroughProxy(port, (proxyPort) =>
      curlGet(proxyPort, 'http1.1'),
    );
    expect(response.httpVersion).toBe('1.1');
    expect(response.body).toBe(expectedJa4);
  });
});

describe('fastify plugin registration', () => {
  it('rejects a plain HTTP app', async () => {
    const app = Fastify();
    apps.push(app);
    app.register(ja4guard);
    const error = await app.ready().then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ name: 'NotTlsServerError', code: 'ERR_NOT_TLS_SERVER' });
    expect((error as Error).message).toContain('http.Server');
    expect((error as Error).message).toContain('Fastify({ https: { key, cert } })');
  });

  it('rejects an http2 app without https', async () => {
    const app = Fastify({ http2: true });
    apps.push(app);
    app.register(ja4guard);
    await expect(app.ready()).rejects.toMatchObject({ code: 'ERR_NOT_TLS_SERVER' });
  });

  it('rejects an invalid failureLogIntervalMs', async () => {
    const app = Fastify({ https: certificate });
    apps.push(app);
    app.register(ja4guard, { failureLogIntervalMs: -1 });
    await expect(app.ready()).rejects.toMatchObject({
      code: 'ERR_INVALID_FAILURE_LOG_OPTION',
      option: 'failureLogIntervalMs',
      value: -1,
    });
  });

  it('rejects an invalid failureLogLevel', async () => {
    const app = Fastify({ https: certificate });
    apps.push(app);
    app.register(ja4guard, { failureLogLevel: 'loud' as 'warn' });
    await expect(app.ready()).rejects.toMatchObject({
      code: 'ERR_INVALID_FAILURE_LOG_OPTION',
      option: 'failureLogLevel',
      value: 'loud',
    });
  });

  it('rejects a second registration', async () => {
    const app = Fastify({ https: certificate });
    apps.push(app);
    app.register(ja4guard);
    app.register(ja4guard);
    await expect(app.ready()).rejects.toMatchObject({ code: 'FST_ERR_DEC_ALREADY_PRESENT' });
  });

  it('rejects an invalid capture option', async () => {
    const app = Fastify({ https: certificate });
    apps.push(app);
    app.register(ja4guard, { capture: { helloTimeoutMs: 0 } });
    const error = await app.ready().then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CaptureOptionError);
    expect(error).toMatchObject({ option: 'helloTimeoutMs' });
  });
});
