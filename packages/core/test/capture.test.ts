import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { connect, type Socket } from 'node:net';
import * as tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../test/helpers/certificate.js';
import { readCorpus } from '../../../test/helpers/corpus.js';
import { close, delay, listen, waitFor } from '../../../test/helpers/net.js';
import { RecordingProxy } from '../../../test/helpers/recording-proxy.js';
import {
  attach,
  type CaptureFailure,
  CaptureOptionError,
  createServer,
  fingerprint,
  getCapture,
  getCaptureResult,
  getFingerprint,
  type TlsFingerprint,
} from '../src/index.js';

let certificate: TestCertificate;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  certificate = await testCertificate();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function httpsGet(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      { host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
  });
}

/** Starts an https server that responds with the JA4 of the request's connection. */
async function startJa4Server(options: Parameters<typeof createServer>[0]['capture'] = {}) {
  const server = createServer({ ...certificate, capture: options }, (request, response) => {
    response.end(getFingerprint(request.socket)?.ja4 ?? 'none');
  });
  const port = await listen(server);
  cleanups.push(() => close(server));
  return { server, port, capture: getCapture(server)! };
}

/** Opens a raw TCP connection and resolves when it closes, with the time it stayed open. */
async function rawConnection(port: number, write: (socket: Socket) => Promise<void> | void) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.resume();
  await once(socket, 'connect');
  const opened = Date.now();
  // A dropped connection is reset, so wait for 'close' without rejecting on the 'error' before it.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await write(socket);
  await closed;
  return Date.now() - opened;
}

const corpus = readCorpus();
const chromeLike = corpus.find(
  (row) => row.id.startsWith('tls-handshake.pcapng') && row.transport === 'tcp',
)!;

describe('capture on https', () => {
  it('gives Node clients the JA4 of their own hello', async () => {
    const { port } = await startJa4Server();
    const proxy = new RecordingProxy(port);
    const proxyPort = await proxy.listen();
    cleanups.push(() => proxy.close());

    const response = await httpsGet(proxyPort);
    expect(response.status).toBe(200);
    expect(response.body).toBe(fingerprint(proxy.recorded[0]!, { allowTrailingData: true }).ja4);
    // Node sends no SNI for an IP address and no ALPN by default.
    expect(response.body).toMatch(/^t13i\d{4}00_[0-9a-f]{12}_[0-9a-f]{12}$/);
  });

  it('counts captured connections', async () => {
    const { port, capture } = await startJa4Server();
    await httpsGet(port);
    await httpsGet(port);
    expect(capture.stats().captured).toBe(2);
    expect(capture.stats().pending).toBe(0);
  });

  it('reads a hello sent one byte at a time', async () => {
    const seen: TlsFingerprint[] = [];
    const { port } = await startJa4Server({
      onClientHello: (event) => {
        seen.push(event.fingerprint);
        return 'drop';
      },
    });
    const bytes = Buffer.from(chromeLike.record_hex!, 'hex');
    await rawConnection(port, async (socket) => {
      socket.setNoDelay(true);
      for (const byte of bytes) {
        socket.write(Buffer.of(byte));
        await delay(1);
      }
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.ja4).toBe(chromeLike.expected.ja4);
  });

  it('reassembles hellos split over records and segments', async () => {
    const split = corpus.filter(
      (row) => row.extraction !== undefined && row.extraction.nrecords > 1,
    );
    expect(split.length).toBeGreaterThanOrEqual(2);
    const seen: string[] = [];
    const { port } = await startJa4Server({
      onClientHello: (event) => {
        seen.push(event.fingerprint.ja4);
        return 'drop';
      },
    });
    for (const row of split) {
      const bytes = Buffer.from(row.record_hex!, 'hex');
      await rawConnection(port, async (socket) => {
        for (let start = 0; start < bytes.length; start += 7) {
          socket.write(bytes.subarray(start, start + 7));
          await delay(0);
        }
      });
    }
    expect(seen).toEqual(split.map((row) => row.expected.ja4));
  });

  it('closes a half-sent hello at the deadline', async () => {
    const failures: CaptureFailure[] = [];
    const { port, capture } = await startJa4Server({ helloTimeoutMs: 300 });
    capture.on('failure', (failure: CaptureFailure) => failures.push(failure));
    const bytes = Buffer.from(chromeLike.record_hex!, 'hex');
    const openMs = await rawConnection(port, (socket) => {
      socket.write(bytes.subarray(0, bytes.length >> 1));
    });
    expect(openMs).toBeGreaterThanOrEqual(250);
    expect(openMs).toBeLessThan(2_000);
    expect(capture.stats().timedOut).toBe(1);
    expect(failures.map((failure) => failure.kind)).toEqual(['timeout']);
    expect((await httpsGet(port)).status).toBe(200);
  });

  it('closes a hello larger than the cap', async () => {
    const { port, capture } = await startJa4Server({ maxHelloBytes: 512 });
    await rawConnection(port, (socket) => {
      socket.write(Buffer.from('16030140000100400003', 'hex'));
    });
    expect(capture.stats().oversized).toBe(1);
    expect((await httpsGet(port)).status).toBe(200);
  });

  it('hands plain HTTP to TLS untouched', async () => {
    const { server, port, capture } = await startJa4Server();
    const tlsErrors: Error[] = [];
    server.on('tlsClientError', (error: Error) => tlsErrors.push(error));
    await rawConnection(port, (socket) => {
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    });
    expect(capture.stats().notTls).toBe(1);
    expect(tlsErrors).toHaveLength(1);
    expect((await httpsGet(port)).status).toBe(200);
  });

  it('drops plain HTTP with dropNotTls', async () => {
    const { server, port, capture } = await startJa4Server({ dropNotTls: true });
    const tlsErrors: Error[] = [];
    server.on('tlsClientError', (error: Error) => tlsErrors.push(error));
    await rawConnection(port, (socket) => {
      socket.write('GET / HTTP/1.1\r\n\r\n');
    });
    expect(capture.stats().notTls).toBe(1);
    expect(tlsErrors).toHaveLength(0);
  });

  it('hands a malformed hello on with its error code', async () => {
    const { server, port, capture } = await startJa4Server();
    const results: unknown[] = [];
    server.on('tlsClientError', (_error: Error, socket: tls.TLSSocket) => {
      results.push(getCaptureResult(socket));
    });
    const bytes = Buffer.from(chromeLike.record_hex!, 'hex');
    // Set the cipher_suites length (after version, random and a 32-byte session id) to an odd value.
    const corrupted = Buffer.from(bytes);
    corrupted[5 + 4 + 2 + 32 + 1 + 32 + 1] = 0x03;
    await rawConnection(port, (socket) => {
      socket.write(corrupted);
    });
    expect(capture.stats().malformed).toBe(1);
    expect(capture.stats().malformedByCode).toEqual({ ERR_INVALID_LENGTH: 1 });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      status: 'malformed',
      error: { code: 'ERR_INVALID_LENGTH' },
    });
  });

  it('counts an SSLv2 hello under its own kind', async () => {
    const { port, capture } = await startJa4Server();
    await rawConnection(port, (socket) => {
      // SSL 2.0 CLIENT-HELLO: 2-byte length 0x8022, type 1, version 3.1, 3 cipher specs, 16-byte challenge.
      socket.write(
        Buffer.from(`8022010301000900000010${'010080'.repeat(3)}${'ab'.repeat(16)}`, 'hex'),
      );
    });
    expect(capture.stats().sslv2).toBe(1);
  });

  it('counts a client that leaves early', async () => {
    const { port, capture } = await startJa4Server();
    await rawConnection(port, (socket) => {
      socket.end(Buffer.from('160301', 'hex'));
    });
    await waitFor(() => capture.stats().incomplete === 1);
    expect(capture.stats().pending).toBe(0);
  });

  it('drops a connection when the hook says so', async () => {
    const { port, capture } = await startJa4Server({ onClientHello: () => 'drop' });
    await expect(httpsGet(port)).rejects.toThrow();
    expect(capture.stats().dropped).toBe(1);
  });

  it('accepts when an async hook is too slow', async () => {
    const { port, capture } = await startJa4Server({
      hookTimeoutMs: 50,
      onClientHello: () => new Promise((resolve) => setTimeout(() => resolve('drop'), 500)),
    });
    expect((await httpsGet(port)).status).toBe(200);
    expect(capture.stats().hookFailed).toBe(1);
    expect(capture.stats().dropped).toBe(0);
  });

  it('accepts when the hook throws', async () => {
    const { port, capture } = await startJa4Server({
      onClientHello: () => {
        throw new Error('rule store unavailable');
      },
    });
    expect((await httpsGet(port)).status).toBe(200);
    expect(capture.stats().hookFailed).toBe(1);
  });

  it('rejects invalid options', () => {
    const server = https.createServer(certificate);
    expect(() => attach(server, { helloTimeoutMs: -1 })).toThrow(CaptureOptionError);
    expect(() => attach(server, { maxHelloBytes: 1.5 })).toThrow(/maxHelloBytes/);
    expect(() => attach({} as tls.Server)).toThrow(/server/);
  });

  it('returns the same capture when attached twice', async () => {
    const { server, capture } = await startJa4Server();
    expect(attach(server)).toBe(capture);
  });

  it('restores the listeners on detach', async () => {
    const { port, capture } = await startJa4Server();
    capture.detach();
    expect((await httpsGet(port)).body).toBe('none');
    expect(capture.stats().captured).toBe(0);
  });
});

describe('capture on other servers', () => {
  it('works on http2 secure servers', async () => {
    const server = http2.createSecureServer(certificate, (request, response) => {
      const viaSocket = getFingerprint(request.socket as unknown as Socket)?.ja4;
      const viaSession = getFingerprint(request.stream.session?.socket as Socket)?.ja4;
      response.end(JSON.stringify({ viaSocket, viaSession }));
    });
    attach(server);
    const port = await listen(server);
    cleanups.push(() => close(server));
    const proxy = new RecordingProxy(port);
    const proxyPort = await proxy.listen();
    cleanups.push(() => proxy.close());

    const session = http2.connect(`https://127.0.0.1:${proxyPort}`, { rejectUnauthorized: false });
    cleanups.push(() => {
      session.close();
    });
    const stream = session.request({ ':path': '/' });
    stream.setEncoding('utf8');
    let body = '';
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    await once(stream, 'end');
    const expected = fingerprint(proxy.recorded[0]!, { allowTrailingData: true }).ja4;
    expect(JSON.parse(body)).toEqual({ viaSocket: expected, viaSession: expected });
    expect(expected.slice(8, 10)).toBe('h2');
  });

  it('works on plain tls servers', async () => {
    const seen: Array<string | undefined> = [];
    const server = tls.createServer(certificate, (socket) => {
      seen.push(getFingerprint(socket)?.ja4);
      socket.end('bye');
    });
    attach(server);
    const port = await listen(server);
    cleanups.push(() => close(server));
    const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    client.resume();
    await once(client, 'end');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^t13i/);
  });
});
