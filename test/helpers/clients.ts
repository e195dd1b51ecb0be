import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Response body and HTTP version seen by a client. */
export interface ClientResponse {
  status: number;
  body: string;
}

/** GET with curl; `http` selects `--http1.1` or `--http2`. */
export async function curlGet(url: string, http: '1.1' | '2'): Promise<ClientResponse> {
  const { stdout } = await execFileAsync(
    'curl',
    [
      '-sk',
      '--max-time',
      '10',
      http === '2' ? '--http2' : '--http1.1',
      '-w',
      '\n%{http_code}',
      url,
    ],
    { timeout: 15_000 },
  );
  const split = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(split + 1)), body: stdout.slice(0, split) };
}

/** GET over `openssl s_client`, writing the request to its standard input. */
export async function opensslGet(host: string, port: number, path = '/'): Promise<ClientResponse> {
  const child = spawn(
    'openssl',
    ['s_client', '-connect', `${host}:${port}`, '-servername', 'localhost', '-quiet', '-ign_eof'],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
  });
  child.stdin.end(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  await once(child, 'close');
  clearTimeout(timer);
  const status = Number(/^HTTP\/1\.1 (\d{3})/m.exec(output)?.[1] ?? 0);
  const bodyStart = output.indexOf('\r\n\r\n');
  return { status, body: bodyStart === -1 ? '' : output.slice(bodyStart + 4) };
}

/** GET with Node's https client, without connection reuse. */
export function nodeHttpsGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { rejectUnauthorized: false, agent: false, headers },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.setTimeout(10_000, () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

/** GET with Node's http2 client on a new session. */
export async function nodeHttp2Get(origin: string, path = '/'): Promise<ClientResponse> {
  const session = http2.connect(origin, { rejectUnauthorized: false });
  session.on('error', () => {});
  try {
    const stream = session.request({ ':path': path });
    let status = 0;
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.setEncoding('utf8');
    let body = '';
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    await once(stream, 'end');
    return { status, body };
  } finally {
    session.close();
  }
}
