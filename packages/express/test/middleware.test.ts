import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import { CaptureOptionError, getCapture } from '@ja4guard/core';
import express, { type Express } from 'express';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../test/helpers/certificate.js';
import { readCorpus } from '../../../test/helpers/corpus.js';
import { close, listen, waitFor } from '../../../test/helpers/net.js';
import { hasTool } from '../../../test/helpers/tools.js';
import {
  curlGet,
  httpsGet,
  opensslGet,
  requestThroughProxy,
  sendRawConnections,
} from '../../fastify/test/helpers/clients.js';
import {
  type AttachCaptureOptions,
  attachCapture,
  FailureLogOptionError,
  type Ja4guardMiddlewareOptions,
  ja4guard,
  MiddlewareOptionError,
  NotTlsServerError,
} from '../src/index.js';

const curl = hasTool('curl');
const openssl = hasTool('openssl', ['version']);

let certificate: TestCertificate;
const servers: http.Server[] = [];

beforeAll(async () => {
  certificate = await testCertificate();
});

afterEach(async () => {
  for (const server of servers.splice(0)) if (server.listening) await close(server);
});

interface LogCall {
  fields: Record<string, unknown>;
  message: string;
}

function fakeLogger() {
  const calls: LogCall[] = [];
  return {
    calls,
    logger: {
      warn(fields: Record<string, unknown>, message: string) {
        calls.push({ fields, message });
      },
    },
  };
}

/** An app whose `/` returns `req.ja4` and `/fingerprint` the whole object. */
function createApp(options?: Ja4guardMiddlewareOptions): Express {
  const app = express();
  app.use(ja4guard(options));
  app.get('/', (request, response) => {
    response.type('text/plain').send(request.ja4 ?? 'none');
  });
  app.get('/fingerprint', (request, response) => {
    response.json({ ja4: request.ja4, tlsFingerprint: request.tlsFingerprint });
  });
  return app;
}

async function startHttpsApp(options: AttachCaptureOptions = {}) {
  const server = https.createServer(certificate, createApp());
  const capture = attachCapture(server, options);
  servers.push(server);
  const port = await listen(server);
  return { server, capture, port };
}

describe('express middleware over https', () => {
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
    const body = JSON.parse(response.body) as {
      ja4: string;
      tlsFingerprint: Record<string, unknown>;
    };
    expect(body.tlsFingerprint.ja4).toBe(body.ja4);
    expect(body.tlsFingerprint.ja3).toMatch(/^[0-9a-f]{32}$/);
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

  it.skipIf(!curl)('serves curl --http2 over HTTP/1.1', async () => {
    const { port } = await startHttpsApp();
    const { response, expectedJa4 } = await requestThroughProxy(port, (proxyPort) =>
      curlGet(proxyPort, 'http2'),
    );
    // https.Server selects no ALPN protocol, so curl falls back to HTTP/1.1.
    expect(response.httpVersion).toBe('1.1');
    expect(response.body).toBe(expectedJa4);
    expect(response.body.slice(8, 10)).toBe('h2');
  });

  it.skipIf(!openssl)('sets ja4 for openssl s_client', async () => {
    const { port } = await startHttpsApp();
    const { response, expectedJa4 } = await requestThroughProxy(port, (proxyPort) =>
      opensslGet(proxyPort),
    );
    expect(response.status).toBe(200);
    expect(response.body).toBe(expectedJa4);
  });

  it('counts captured connections', async () => {
    const { capture, port } = await startHttpsApp();
    await httpsGet(port);
    await httpsGet(port);
    expect(capture.stats().captured).toBe(2);
  });
});

describe('express middleware without capture', () => {
  it('warns once when attachCapture is missing', async () => {
    const { calls, logger } = fakeLogger();
    const server = https.createServer(certificate, createApp({ logger }));
    servers.push(server);
    const port = await listen(server);

    expect((await httpsGet(port)).body).toBe('none');
    expect((await httpsGet(port)).body).toBe('none');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.message).toContain('attachCapture(server)');
    expect(calls[0]!.fields).toEqual({ remoteAddress: '127.0.0.1' });
  });

  it('warns once over plain HTTP', async () => {
    const { calls, logger } = fakeLogger();
    const server = http.createServer(createApp({ logger }));
    servers.push(server);
    const port = await listen(server);

    for (let index = 0; index < 2; index++) {
      const request = http.get({ host: '127.0.0.1', port, agent: false });
      const [response] = (await once(request, 'response')) as [http.IncomingMessage];
      response.setEncoding('utf8');
      let body = '';
      for await (const chunk of response) body += chunk;
      expect(body).toBe('none');
    }
    expect(calls).toHaveLength(1);
    expect(calls[0]!.message).toContain('plain HTTP');
  });

  it('does not warn without a logger', async () => {
    const server = https.createServer(certificate, createApp());
    servers.push(server);
    const port = await listen(server);
    expect((await httpsGet(port)).body).toBe('none');
  });
});

describe('attachCapture', () => {
  it('rejects a plain http.Server', () => {
    const server = http.createServer();
    let caught: unknown;
    try {
      attachCapture(server as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NotTlsServerError);
    expect(caught).toMatchObject({ code: 'ERR_NOT_TLS_SERVER' });
    expect((caught as Error).message).toContain('https.createServer');
    expect(getCapture(server as never)).toBeNull();
  });

  it('rejects invalid options before attaching', () => {
    const server = https.createServer(certificate);
    expect(() => attachCapture(server, { logger: {} })).toThrow(FailureLogOptionError);
    expect(() =>
      attachCapture(server, { logger: fakeLogger().logger, failureLogIntervalMs: -5 }),
    ).toThrow(expect.objectContaining({ option: 'failureLogIntervalMs' }));
    expect(() => attachCapture(server, { capture: { maxHelloBytes: -1 } })).toThrow(
      CaptureOptionError,
    );
    expect(getCapture(server)).toBeNull();
  });

  it('returns the same capture when called twice', async () => {
    const { calls, logger } = fakeLogger();
    const { server, capture, port } = await startHttpsApp({ logger });
    expect(attachCapture(server, { logger })).toBe(capture);

    await sendRawConnections(port, 'plain text', 3, 3);
    await waitFor(() => capture.stats().notTls === 3);
    await close(server);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.fields).toMatchObject({ kind: 'not-tls', count: 3 });
  });
});

describe('ja4guard middleware options', () => {
  it('rejects a logger without warn', () => {
    let caught: unknown;
    try {
      ja4guard({ logger: { info: () => {} } as never });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MiddlewareOptionError);
    expect(caught).toMatchObject({ code: 'ERR_INVALID_MIDDLEWARE_OPTION', option: 'logger' });
  });
});

describe('failure log in attachCapture', () => {
  /** Returns a Chrome-like hello whose cipher_suites length is odd, so the parser reports ERR_INVALID_LENGTH. */
  function malformedHello(): Buffer {
    const row = readCorpus().find(
      (candidate) =>
        candidate.id.startsWith('tls-handshake.pcapng') && candidate.transport === 'tcp',
    )!;
    const bytes = Buffer.from(row.record_hex!, 'hex');
    // Record header 5, handshake header 4, version 2, random 32, session id length 1 and 32 bytes.
    bytes[5 + 4 + 2 + 32 + 1 + 32 + 1] = 0x03;
    return bytes;
  }

  it('summarises 1,000 malformed hellos in one line', async () => {
    const { calls, logger } = fakeLogger();
    const { server, capture, port } = await startHttpsApp({ logger });
    await sendRawConnections(port, malformedHello(), 1_000, 50);
    await waitFor(() => capture.stats().malformed === 1_000);

    expect((await httpsGet(port)).status).toBe(200);
    expect(calls).toHaveLength(0);
    await close(server);

    expect(calls).toHaveLength(1);
    expect(calls[0]!.fields).toMatchObject({
      kind: 'malformed',
      code: 'ERR_INVALID_LENGTH',
      count: 1_000,
      remoteAddress: '127.0.0.1',
    });
    expect(calls[0]!.message).toContain('malformed ClientHello');
  });

  it('logs nothing without a logger', async () => {
    const { capture, port } = await startHttpsApp();
    await sendRawConnections(port, 'plain text', 2, 2);
    await waitFor(() => capture.stats().notTls === 2);
    expect(capture.listenerCount('failure')).toBe(0);
  });
});
