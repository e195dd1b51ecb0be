import type { ClientHelloVerdict } from '@ja4guard/core';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../test/helpers/certificate.js';
import type { Ja4guardPluginOptions } from '../src/index.js';
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

/** Starts an app and counts the TLS handshakes its server completes. */
async function startCounting(
  plugin: Ja4guardPluginOptions,
  logger?: ReturnType<typeof recordLogs>['logger'],
) {
  const { app, port } = await startApp(apps, { certificate, plugin, logger });
  const counter = { handshakes: 0 };
  app.server.on('secureConnection', () => {
    counter.handshakes++;
  });
  return { app, port, counter };
}

function connectionBlocks(app: FastifyInstance): number {
  return app.ja4guard.guard!.stats().connectionDecisions.byAction.block;
}

describe('connection stage', () => {
  it('drops a blocklisted JA4 before the handshake', async () => {
    const { app, port, counter } = await startCounting({ rules: [] });
    expect((await sendRequest(port)).status).toBe(200);
    expect(counter.handshakes).toBe(1);

    await app.ja4guard.guard!.blocklist.add(nodeJa4, { ttlSeconds: 60 });
    await expect(sendRequest(port)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(counter.handshakes).toBe(1);
    expect(app.ja4guard.capture.stats().dropped).toBe(1);
    expect(connectionBlocks(app)).toBe(1);
  });

  it('drops on a connection rule', async () => {
    const { app, port, counter } = await startCounting({
      rules: [{ name: 'early', stage: 'connection', match: { ja4: nodeJa4 }, action: 'block' }],
    });
    await expect(sendRequest(port)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(counter.handshakes).toBe(0);
    expect(app.ja4guard.capture.stats().dropped).toBe(1);
  });

  it('keeps connections with dropBeforeHandshake false', async () => {
    const { app, port, counter } = await startCounting({
      rules: [],
      dropBeforeHandshake: false,
    });
    await app.ja4guard.guard!.blocklist.add(nodeJa4);
    expect((await sendRequest(port)).status).toBe(403);
    expect(counter.handshakes).toBe(1);
    expect(app.ja4guard.capture.stats().dropped).toBe(0);
  });

  it('runs the own hook first', async () => {
    const seen: string[] = [];
    const { app, port } = await startCounting({
      rules: [],
      capture: {
        onClientHello: async (event): Promise<ClientHelloVerdict> => {
          seen.push(event.fingerprint.ja4);
          return 'accept';
        },
      },
    });
    expect((await sendRequest(port)).status).toBe(200);
    await app.ja4guard.guard!.blocklist.add(nodeJa4);
    await expect(sendRequest(port)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(seen).toEqual([nodeJa4, nodeJa4]);
    expect(connectionBlocks(app)).toBe(1);
  });

  it('drops when the own hook says so', async () => {
    let verdict: ClientHelloVerdict = 'drop';
    const { app, port } = await startCounting({
      rules: [],
      capture: { onClientHello: () => verdict },
    });
    await expect(sendRequest(port)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(app.ja4guard.guard!.stats().connectionDecisions.byAction).toMatchObject({
      block: 0,
      pass: 0,
    });
    verdict = 'accept';
    expect((await sendRequest(port)).status).toBe(200);
    expect(app.ja4guard.capture.stats().dropped).toBe(1);
  });

  it('accepts and logs in dry run', async () => {
    const { lines, logger } = recordLogs();
    const { app, port, counter } = await startCounting({ rules: [], mode: 'dry-run' }, logger);
    await app.ja4guard.guard!.blocklist.add(nodeJa4);
    expect((await sendRequest(port)).status).toBe(200);
    expect(counter.handshakes).toBe(1);
    const messages = guardLines(lines).map((line) => line.msg);
    expect(messages).toContain(
      'ja4guard dry run: would have blocked the request because the client is on the blocklist (' +
        `${nodeJa4})`,
    );
    expect(lines.some((line) => line.msg.startsWith('Dry run: the guard would have dropped'))).toBe(
      true,
    );
  });
});
