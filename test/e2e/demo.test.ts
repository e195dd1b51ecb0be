import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fingerprint } from '@ja4guard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo, type Demo } from '../../examples/demo/app.js';
import { testCertificate } from '../helpers/certificate.js';
import {
  type ClientResponse,
  curlGet,
  nodeHttp2Get,
  nodeHttpsGet,
  opensslGet,
} from '../helpers/clients.js';
import { close, listen, waitFor } from '../helpers/net.js';
import { RecordingProxy } from '../helpers/recording-proxy.js';
import { hasTool } from '../helpers/tools.js';

const execFileAsync = promisify(execFile);
const curl = hasTool('curl');
const openssl = hasTool('openssl', ['version']);
const keys = ['ja4', 'ja4_r', 'ja4_o', 'ja4_ro', 'ja3', 'ja3_full'] as const;

let demo: Demo;
let proxy: RecordingProxy;
let origin: string;
const lines: string[] = [];

beforeAll(async () => {
  demo = createDemo({
    certificate: await testCertificate(),
    log: (line) => lines.push(line),
    rateLimit: null,
  });
  const port = await listen(demo.server);
  proxy = new RecordingProxy(port);
  origin = `https://127.0.0.1:${await proxy.listen()}`;
});

afterAll(async () => {
  await proxy.close();
  await close(demo.server);
});

/** Sends one request through the recording proxy and checks the demo's response against the bytes the client sent. */
async function checkClient(send: () => Promise<ClientResponse>, httpVersion: string) {
  const before = proxy.recorded.length;
  const response = await send();
  expect(response.status).toBe(200);
  expect(proxy.recorded.length).toBe(before + 1);
  const expected = fingerprint(proxy.recorded[before]!, { allowTrailingData: true });
  const body = JSON.parse(response.body) as Record<string, unknown>;
  for (const key of keys) expect(body[key], key).toBe(expected[key]);
  expect(body.http).toBe(httpVersion);
  return body.ja4 as string;
}

describe('demo with real clients', () => {
  const seen = new Map<string, string>();

  it.skipIf(!curl)('answers curl over HTTP/1.1', async () => {
    seen.set('curl-h1', await checkClient(() => curlGet(`${origin}/`, '1.1'), '1.1'));
    expect(seen.get('curl-h1')!.slice(8, 10)).toBe('h1');
  });

  it.skipIf(!curl)('answers curl over HTTP/2', async () => {
    seen.set('curl-h2', await checkClient(() => curlGet(`${origin}/`, '2'), '2.0'));
    expect(seen.get('curl-h2')!.slice(8, 10)).toBe('h2');
  });

  it.skipIf(!openssl)('answers openssl s_client', async () => {
    const port = Number(new URL(origin).port);
    seen.set('openssl', await checkClient(() => opensslGet('127.0.0.1', port), '1.1'));
    expect(seen.get('openssl')!.charAt(3)).toBe('d');
  });

  it('answers the Node https client', async () => {
    seen.set('node-https', await checkClient(() => nodeHttpsGet(`${origin}/`), '1.1'));
  });

  it('answers the Node http2 client', async () => {
    seen.set('node-http2', await checkClient(() => nodeHttp2Get(origin), '2.0'));
  });

  it.skipIf(!curl)('tells curl and Node apart', () => {
    expect(seen.get('curl-h1')).toBeDefined();
    expect(seen.get('node-https')).toBeDefined();
    expect(seen.get('curl-h1')).not.toBe(seen.get('node-https'));
  });

  it('logs one line per connection with address, JA4 and User-Agent', async () => {
    const before = lines.length;
    await nodeHttpsGet(`${origin}/`, { 'user-agent': 'demo-test/1.0' });
    await waitFor(() => lines.length > before);
    expect(lines.at(-1)).toMatch(
      /^127\.0\.0\.1:\d+ ja4=t13i\d{4}00_[0-9a-f]{12}_[0-9a-f]{12} ua="demo-test\/1\.0"$/,
    );
  });
});

describe('demo rules', () => {
  async function startDemo(options: Partial<Parameters<typeof createDemo>[0]>) {
    const started = createDemo({
      certificate: await testCertificate(),
      log: (line) => lines.push(line),
      ...options,
    });
    const port = await listen(started.server);
    return { url: `https://127.0.0.1:${port}/`, close: () => close(started.server) };
  }

  it('blocks a listed fingerprint with 403', async () => {
    const probe = await startDemo({ rateLimit: null });
    const ja4 = JSON.parse((await nodeHttpsGet(probe.url)).body).ja4 as string;
    await probe.close();

    const blocking = await startDemo({ block: [ja4], rateLimit: null });
    try {
      const response = await nodeHttpsGet(blocking.url);
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body)).toMatchObject({ rule: 'blocked-fingerprint' });
      expect(lines.at(-1)).toContain(`block by rule blocked-fingerprint ja4=${ja4}`);
    } finally {
      await blocking.close();
    }
  });

  it('limits each JA4 and IP with 429', async () => {
    const limited = await startDemo({ rateLimit: { points: 2, durationSeconds: 60 } });
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof nodeHttpsGet>> | undefined;
      for (let i = 0; i < 3; i++) {
        last = await nodeHttpsGet(limited.url);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(JSON.parse(last!.body)).toMatchObject({ statusCode: 429, rule: 'per-client' });
    } finally {
      await limited.close();
    }
  });

  it.skipIf(!curl)('shows 429 headers to curl', async () => {
    const limited = await startDemo({ rateLimit: { points: 1, durationSeconds: 30 } });
    try {
      expect((await curlGet(limited.url, '2')).status).toBe(200);
      const { stdout } = await execFileAsync('curl', [
        '-sk',
        '-i',
        '--max-time',
        '10',
        limited.url,
      ]);
      expect(stdout).toMatch(/^HTTP\/2 429/);
      expect(stdout).toMatch(/^retry-after: \d+\r?$/m);
      expect(stdout).toMatch(/^ratelimit-policy: "per-client";q=1;w=30\r?$/m);
      expect(stdout).toMatch(/^ratelimit: "per-client";r=0;t=\d+\r?$/m);
    } finally {
      await limited.close();
    }
  });
});

describe('demo command', () => {
  it('starts with pnpm demo and answers on the printed port', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const certificateDirectory = await mkdtemp(join(tmpdir(), 'ja4guard-demo-'));
    const child = spawn('pnpm', ['demo', '--block', 't13d*', '--rate-limit', '2/60'], {
      cwd: root,
      env: { ...process.env, PORT: '0', JA4GUARD_CERT_DIR: certificateDirectory },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so the test can stop pnpm, tsx and node together.
      detached: true,
    });
    try {
      let output = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        output += chunk;
      });
      await waitFor(() => /listening on https:\/\/[^:]+:(\d+)\//.test(output), 20_000).catch(
        (error: Error) => {
          throw new Error(`${error.message}; demo output:\n${output}`);
        },
      );
      const port = /listening on https:\/\/[^:]+:(\d+)\//.exec(output)![1];
      const response = await nodeHttpsGet(`https://127.0.0.1:${port}/`, {
        'user-agent': 'cmd-test',
      });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body).ja4).toMatch(/^t13i/);
      await waitFor(() => output.includes('ua="cmd-test"'));
    } finally {
      const closed = once(child, 'close');
      process.kill(-child.pid!, 'SIGTERM');
      await closed;
      await rm(certificateDirectory, { recursive: true, force: true });
    }
  });
});
