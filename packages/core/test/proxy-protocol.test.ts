import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import * as tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../test/helpers/certificate.js';
import { close, listen } from '../../../test/helpers/net.js';
import {
  CaptureOptionError,
  type CaptureOptions,
  createServer,
  getCapture,
  getFingerprint,
  getProxiedClient,
  readProxyHeader,
} from '../src/index.js';

let certificate: TestCertificate;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  certificate = await testCertificate();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function v2Header(command: number, family: number, addresses: number[]): Buffer {
  const body = Buffer.from(addresses);
  return Buffer.concat([
    Buffer.from('0d0a0d0a000d0a515549540a', 'hex'),
    Buffer.from([0x20 | command, family, body.length >> 8, body.length & 0xff]),
    body,
  ]);
}

const V2_TCP4 = v2Header(1, 0x11, [198, 51, 100, 9, 127, 0, 0, 1, 0x1f, 0x90, 0x01, 0xbb]);

describe('readProxyHeader', () => {
  it.each([
    [
      'v1 TCP4',
      'PROXY TCP4 203.0.113.7 10.0.0.1 5555 443\r\n',
      { address: '203.0.113.7', port: 5555, family: 'IPv4' },
    ],
    [
      'v1 TCP6',
      'PROXY TCP6 2001:db8::7 2001:db8::1 6000 443\r\n',
      { address: '2001:db8::7', port: 6000, family: 'IPv6' },
    ],
    ['v1 UNKNOWN', 'PROXY UNKNOWN\r\n', null],
  ])('reads %s', (_name, text, source) => {
    const result = readProxyHeader(Buffer.from(`${text}\x16\x03\x01`, 'latin1'));
    expect(result).toEqual({ status: 'valid', length: text.length, source });
  });

  it('reads v2 TCP4', () => {
    expect(readProxyHeader(V2_TCP4)).toEqual({
      status: 'valid',
      length: 28,
      source: { address: '198.51.100.9', port: 8080, family: 'IPv4' },
    });
  });

  it('reads v2 TCP6', () => {
    const source = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 7];
    const header = v2Header(1, 0x21, [...source, ...Array(16).fill(0), 0x17, 0x70, 0x01, 0xbb]);
    expect(readProxyHeader(header)).toEqual({
      status: 'valid',
      length: 52,
      source: { address: '2001:db8::7', port: 6000, family: 'IPv6' },
    });
  });

  it('reads v2 LOCAL without an address', () => {
    expect(readProxyHeader(v2Header(0, 0x00, []))).toEqual({
      status: 'valid',
      length: 16,
      source: null,
    });
  });

  it.each([
    ['a v1 prefix', 'PROXY TCP4 1.2.3.4'],
    ['a v2 signature', '\r\n\r\n\0\r\nQUIT\n'],
  ])('waits for more bytes after %s', (_name, text) => {
    expect(readProxyHeader(Buffer.from(text, 'latin1'))).toEqual({ status: 'incomplete' });
  });

  it.each([
    ['not a header', 'GET / HTTP/1.1\r\n'],
    ['a bad v1 address', 'PROXY TCP4 300.1.1.1 10.0.0.1 1 2\r\n'],
    ['a bad v1 port', 'PROXY TCP4 1.1.1.1 10.0.0.1 70000 2\r\n'],
    ['a v1 line without CRLF', `PROXY TCP4 ${'1'.repeat(120)}`],
  ])('rejects %s', (_name, text) => {
    expect(readProxyHeader(Buffer.from(text, 'latin1')).status).toBe('invalid');
  });

  it('rejects a v2 header with an unknown command', () => {
    expect(readProxyHeader(v2Header(5, 0x11, Array(12).fill(0))).status).toBe('invalid');
  });
});

/** Starts a server that responds with the client address from its socket and the JA4. */
async function startServer(capture: CaptureOptions) {
  const server = createServer({ ...certificate, capture }, (request, response) => {
    const client = getProxiedClient(request.socket);
    response.end(
      JSON.stringify({
        remoteAddress: request.socket.remoteAddress,
        remotePort: request.socket.remotePort,
        proxy: client?.proxy.address ?? null,
        ja4: getFingerprint(request.socket)?.ja4 ?? null,
      }),
    );
  });
  const port = await listen(server);
  cleanups.push(() => close(server));
  return { port, capture: getCapture(server)! };
}

/** Sends `header` on a new TCP connection, then runs HTTPS over it; resolves with the body, or null when the server closed. */
async function requestThrough(port: number, header: Buffer | null): Promise<string | null> {
  const raw = connect(port, '127.0.0.1');
  raw.on('error', () => {});
  await once(raw, 'connect');
  if (header !== null) raw.write(header);
  const secure = tls.connect({
    socket: raw as Socket,
    rejectUnauthorized: false,
    servername: 'localhost',
  });
  let body = '';
  secure.setEncoding('utf8');
  secure.on('data', (chunk: string) => {
    body += chunk;
  });
  secure.on('secureConnect', () => {
    secure.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  });
  const failed = await new Promise<boolean>((resolve) => {
    secure.on('error', () => resolve(true));
    secure.on('close', () => resolve(false));
  });
  if (failed || body === '') return null;
  return body.slice(body.indexOf('\r\n\r\n') + 4);
}

describe('PROXY protocol on a server', () => {
  it('takes the client address from a v1 header', async () => {
    const { port, capture } = await startServer({
      proxyProtocol: { trustedSources: ['127.0.0.1'] },
    });
    const body = await requestThrough(
      port,
      Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.1 5555 443\r\n'),
    );
    expect(JSON.parse(body!)).toMatchObject({
      remoteAddress: '203.0.113.7',
      remotePort: 5555,
      proxy: '127.0.0.1',
      ja4: expect.stringMatching(/^t13d/),
    });
    expect(capture.stats().proxyAccepted).toBe(1);
  });

  it('takes the client address from a v2 header', async () => {
    const { port } = await startServer({ proxyProtocol: { trustedSources: ['127.0.0.0/8'] } });
    const body = await requestThrough(port, V2_TCP4);
    expect(JSON.parse(body!)).toMatchObject({ remoteAddress: '198.51.100.9', remotePort: 8080 });
  });

  it('keeps the socket address for a LOCAL header', async () => {
    const { port } = await startServer({ proxyProtocol: { trustedSources: ['127.0.0.1'] } });
    const body = await requestThrough(port, v2Header(0, 0, []));
    expect(JSON.parse(body!)).toMatchObject({ remoteAddress: '127.0.0.1', proxy: null });
  });

  it('closes a trusted connection without a header', async () => {
    const { port, capture } = await startServer({
      proxyProtocol: { trustedSources: ['127.0.0.1'] },
    });
    expect(await requestThrough(port, null)).toBeNull();
    expect(capture.stats().proxyRejected).toBe(1);
  });

  it('closes a header from an untrusted source', async () => {
    const { port, capture } = await startServer({
      proxyProtocol: { trustedSources: ['10.0.0.0/8'] },
    });
    const header = Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.1 5555 443\r\n');
    expect(await requestThrough(port, header)).toBeNull();
    expect(capture.stats().proxyRejected).toBe(1);
  });

  it('serves direct TLS from an untrusted source', async () => {
    const { port } = await startServer({ proxyProtocol: { trustedSources: ['10.0.0.0/8'] } });
    const body = await requestThrough(port, null);
    expect(JSON.parse(body!)).toMatchObject({ remoteAddress: '127.0.0.1', proxy: null });
  });

  it('counts a header when the option is off', async () => {
    const { port, capture } = await startServer({});
    expect(await requestThrough(port, V2_TCP4)).toBeNull();
    expect(capture.stats().notTlsByKind).toEqual({ 'proxy-header': 1 });
  });

  it('rejects invalid trusted sources', () => {
    for (const sources of [[], ['10.0.0.0/33'], ['not-an-ip'], ['10.0.0.1/8/1'], ['::1/-1']]) {
      expect(() =>
        createServer({ ...certificate, capture: { proxyProtocol: { trustedSources: sources } } }),
      ).toThrow(CaptureOptionError);
    }
  });
});

describe('first bytes that are not TLS', () => {
  it('counts each kind separately', async () => {
    const { port, capture } = await startServer({});
    const inputs = [
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      '\x15\x03\x03\x00\x02\x02\x28',
      'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n',
      '\x00\xff\x13\x37random',
    ];
    for (const input of inputs) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.resume();
      await once(socket, 'connect');
      socket.write(Buffer.from(input, 'latin1'));
      await once(socket, 'close');
    }
    expect(capture.stats().notTls).toBe(5);
    expect(capture.stats().notTlsByKind).toEqual({
      http: 2,
      'tls-record': 1,
      'proxy-header': 1,
      other: 1,
    });
  });
});
