import { execFile } from 'node:child_process';
import { once } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { connect } from 'node:net';
import { fingerprint } from '@ja4guard/core';
import { RecordingProxy } from '../../../../test/helpers/recording-proxy.js';

// Real TLS clients for the adapter tests. Every client connects to 127.0.0.1
// only and gives up after CLIENT_TIMEOUT_MS.

const CLIENT_TIMEOUT_MS = 10_000;

export interface ClientResponse {
  status: number;
  body: string;
  /** HTTP version the client and server agreed on: `1.1` or `2`. */
  httpVersion: string;
}

/** Sends a GET with Node's https client, on a new connection. */
export function httpsGet(port: number, path = '/'): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      {
        host: '127.0.0.1',
        port,
        path,
        rejectUnauthorized: false,
        agent: false,
        timeout: CLIENT_TIMEOUT_MS,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body, httpVersion: response.httpVersion }),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error(`https GET ${path} timed out`)));
    request.on('error', reject);
  });
}

/** A response with its header fields. */
export interface FullResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Options of {@link sendRequest}. */
export interface RequestOptions {
  path?: string;
  method?: string;
  /** Request header fields. */
  headers?: Record<string, string>;
  /** Local address the client binds to, such as 127.0.0.2 to come from another peer. */
  localAddress?: string;
  /** Plain HTTP instead of TLS. Default false. */
  plain?: boolean;
  /** Request body. */
  body?: string;
}

/**
 * Sends one request with Node's https (or http) client on a new connection
 * and returns the status, the header fields and the body. Rejects when the
 * server closes the connection before it responds.
 */
export function sendRequest(port: number, options: RequestOptions = {}): Promise<FullResponse> {
  const client = options.plain === true ? http : https;
  return new Promise((resolve, reject) => {
    const request = client.request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        rejectUnauthorized: false,
        agent: false,
        timeout: CLIENT_TIMEOUT_MS,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error(`request ${options.path} timed out`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Sends a GET with Node's http2 client, on a new session. */
export async function http2Get(port: number, path = '/'): Promise<ClientResponse> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
  session.on('error', () => {});
  try {
    const stream = session.request({ ':path': path });
    stream.setTimeout(CLIENT_TIMEOUT_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    let status = 0;
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    let body = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    await once(stream, 'end');
    return { status, body, httpVersion: '2' };
  } finally {
    session.close();
  }
}

/** Sends a GET with curl over HTTP/1.1 or HTTP/2. */
export function curlGet(
  port: number,
  version: 'http1.1' | 'http2',
  path = '/',
): Promise<ClientResponse> {
  // curl writes the status code and the HTTP version on the last line of its output.
  const args = ['-sk', `--${version}`, '-w', '\n%{http_code} %{http_version}'];
  args.push(`https://127.0.0.1:${port}${path}`);
  return new Promise((resolve, reject) => {
    execFile('curl', args, { timeout: CLIENT_TIMEOUT_MS }, (error, stdout) => {
      if (error !== null) {
        reject(error);
        return;
      }
      const split = stdout.lastIndexOf('\n');
      const [status, httpVersion] = stdout.slice(split + 1).split(' ');
      resolve({ status: Number(status), body: stdout.slice(0, split), httpVersion: httpVersion! });
    });
  });
}

/**
 * Sends `GET path HTTP/1.1` through `openssl s_client`'s standard input and
 * returns the response. The request carries `Connection: close`, so the
 * server closes the connection after the response and s_client exits.
 */
export function opensslGet(port: number, path = '/'): Promise<ClientResponse> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet'];
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { timeout: CLIENT_TIMEOUT_MS }, (error, stdout) => {
      if (error !== null) {
        reject(error);
        return;
      }
      const headerEnd = stdout.indexOf('\r\n\r\n');
      const statusLine = stdout.slice(0, stdout.indexOf('\r\n'));
      resolve({
        status: Number(statusLine.split(' ')[1]),
        body: headerEnd === -1 ? '' : stdout.slice(headerEnd + 4),
        httpVersion: statusLine.split(' ')[0]!.replace('HTTP/', ''),
      });
    });
    child.stdin!.end(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  });
}

/**
 * Opens `count` TCP connections, `concurrency` at a time; each sends `payload`
 * and waits until the server closes it, or destroys it after CLIENT_TIMEOUT_MS.
 */
export async function sendRawConnections(
  port: number,
  payload: Buffer | string,
  count: number,
  concurrency: number,
): Promise<void> {
  for (let sent = 0; sent < count; sent += concurrency) {
    const batch: Array<Promise<unknown>> = [];
    for (let index = sent; index < Math.min(count, sent + concurrency); index++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.setTimeout(CLIENT_TIMEOUT_MS, () => socket.destroy());
      socket.resume();
      socket.end(payload);
      batch.push(once(socket, 'close'));
    }
    await Promise.all(batch);
  }
}

/**
 * Runs `client` against `port` through a {@link RecordingProxy} and returns its
 * response with the JA4 computed from the bytes the client sent.
 */
export async function requestThroughProxy(
  port: number,
  client: (proxyPort: number) => Promise<ClientResponse>,
): Promise<{ response: ClientResponse; expectedJa4: string }> {
  const proxy = new RecordingProxy(port);
  const proxyPort = await proxy.listen();
  try {
    const response = await client(proxyPort);
    if (proxy.recorded.length !== 1) {
      throw new Error(
        `expected one connection through the proxy, recorded ${proxy.recorded.length}`,
      );
    }
    const expectedJa4 = fingerprint(proxy.recorded[0]!, { allowTrailingData: true }).ja4;
    return { response, expectedJa4 };
  } finally {
    await proxy.close();
  }
}
