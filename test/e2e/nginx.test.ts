import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprint } from '@ja4guard/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../examples/behind-haproxy/app.js';
import { testCertificate } from '../helpers/certificate.js';
import { nodeHttpsGet } from '../helpers/clients.js';
import { type ListenerProcess, startListener } from '../helpers/listener-process.js';
import { freePort } from '../helpers/net.js';
import { RecordingProxy } from '../helpers/recording-proxy.js';
import { hasTool } from '../helpers/tools.js';

const nginxInstalled = hasTool('nginx', ['-v']);
const CONFIG = new URL('../../examples/behind-haproxy/nginx-passthrough.conf', import.meta.url);

describe.skipIf(!nginxInstalled)('behind nginx with PROXY protocol v1', () => {
  let app: FastifyInstance;
  let nginx: ListenerProcess | undefined;
  let nginxPort: number;
  let directory: string;

  beforeAll(async () => {
    app = await buildApp({
      ...(await testCertificate()),
      trustedBalancers: ['127.0.0.1'],
      logger: false,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const appPort = (app.server.address() as AddressInfo).port;
    nginxPort = await freePort();

    // The example's configuration with this test's ports, a private prefix for pid and logs.
    directory = await mkdtemp(join(tmpdir(), 'ja4guard-nginx-'));
    const example = await readFile(CONFIG, 'utf8');
    const config = `pid ${join(directory, 'nginx.pid')};\nerror_log ${join(directory, 'error.log')};\n${example
      .replace('listen 127.0.0.1:8443;', `listen 127.0.0.1:${nginxPort};`)
      .replace('proxy_pass 127.0.0.1:9443;', `proxy_pass 127.0.0.1:${appPort};`)}`;
    await writeFile(join(directory, 'nginx.conf'), config);
    nginx = await startListener(
      'nginx',
      ['-p', directory, '-c', join(directory, 'nginx.conf'), '-g', 'daemon off;'],
      nginxPort,
    );
  });

  afterAll(async () => {
    await nginx?.stop();
    await app?.close();
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  });

  it('sees the client address and its own JA4', async () => {
    const relay = new RecordingProxy(nginxPort, 65_536, '127.0.0.2');
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
});
