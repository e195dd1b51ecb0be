import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { fingerprint } from '@ja4guard/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../examples/behind-haproxy/app.js';
import { testCertificate } from '../helpers/certificate.js';
import { curlGet, nodeHttpsGet } from '../helpers/clients.js';
import { type ListenerProcess, startListener } from '../helpers/listener-process.js';
import { freePort } from '../helpers/net.js';
import { RecordingProxy } from '../helpers/recording-proxy.js';
import { hasTool } from '../helpers/tools.js';

const haproxyInstalled = hasTool('haproxy', ['-v']);
const curl = hasTool('curl');
const CONFIG = fileURLToPath(
  new URL('../../examples/behind-haproxy/haproxy-passthrough.cfg', import.meta.url),
);

describe.skipIf(!haproxyInstalled)('behind HAProxy with PROXY protocol v2', () => {
  let app: FastifyInstance;
  let haproxy: ListenerProcess | undefined;
  let haproxyPort: number;

  beforeAll(async () => {
    app = await buildApp({
      ...(await testCertificate()),
      trustedBalancers: ['127.0.0.1'],
      logger: false,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const appPort = (app.server.address() as AddressInfo).port;
    haproxyPort = await freePort();
    haproxy = await startListener('haproxy', ['-f', CONFIG, '-db'], haproxyPort, {
      HAPROXY_PORT: String(haproxyPort),
      APP_PORT: String(appPort),
    });
  });

  afterAll(async () => {
    await haproxy?.stop();
    await app?.close();
  });

  it('sees the client address and its own JA4', async () => {
    // The relay connects to HAProxy from 127.0.0.2, so the PROXY header
    // carries 127.0.0.2 while Node's TCP peer is HAProxy on 127.0.0.1.
    const relay = new RecordingProxy(haproxyPort, 65_536, '127.0.0.2');
    const relayPort = await relay.listen();
    try {
      const response = await nodeHttpsGet(`https://127.0.0.1:${relayPort}/`);
      expect(response.status).toBe(200);
      const body = JSON.parse(response.body);
      expect(body.ip).toBe('127.0.0.2');
      expect(body.balancer).toBe('127.0.0.1');
      expect(body.ja4).toBe(fingerprint(relay.recorded[0]!, { allowTrailingData: true }).ja4);
    } finally {
      await relay.close();
    }
  });

  it.skipIf(!curl)('gives curl a different JA4 than Node', async () => {
    const viaCurl = JSON.parse((await curlGet(`https://127.0.0.1:${haproxyPort}/`, '1.1')).body);
    const viaNode = JSON.parse((await nodeHttpsGet(`https://127.0.0.1:${haproxyPort}/`)).body);
    expect(viaCurl.ja4).toMatch(/^t13i\d{4}h1_/);
    expect(viaNode.ja4).toMatch(/^t13i\d{4}00_/);
    expect(viaCurl.ja4).not.toBe(viaNode.ja4);
  });

  it('rejects a direct connection without a PROXY header', async () => {
    const appPort = (app.server.address() as AddressInfo).port;
    await expect(nodeHttpsGet(`https://127.0.0.1:${appPort}/`)).rejects.toThrow();
    expect(app.ja4guard.capture.stats().proxyRejected).toBeGreaterThanOrEqual(1);
  });
});
