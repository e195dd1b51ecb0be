import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../packages/fastify/test/helpers/app.js';
import { sendRequest } from '../../packages/fastify/test/helpers/clients.js';
import {
  checkRedis,
  createClient,
  deleteKeys,
  uniquePrefix,
  waitUntilReady,
} from '../../packages/guard/test/helpers/redis.js';
import { testCertificate } from '../helpers/certificate.js';
import { delay, waitFor } from '../helpers/net.js';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const LISTENING = /listening on https:\/\/[^:]+:(\d+)\//g;
const redis = await checkRedis();

let nodeJa4: string;
let certificateDirectory: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  const apps: Array<{ close(): PromiseLike<unknown> }> = [];
  const { port } = await startApp(apps, { certificate: await testCertificate() });
  nodeJa4 = (await sendRequest(port)).body;
  for (const app of apps) await app.close();
  certificateDirectory = await mkdtemp(join(tmpdir(), 'ja4guard-examples-'));
});

afterAll(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const closed = once(child, 'close');
    // The child leads its own process group, so pnpm, tsx and node stop together.
    process.kill(-child.pid!, 'SIGTERM');
    await closed;
  }
  await rm(certificateDirectory, { recursive: true, force: true });
});

/** Runs `pnpm --filter <example> start` and returns the ports it prints, once `count` are printed. */
async function startExample(
  name: string,
  environment: Record<string, string>,
  count = 1,
): Promise<number[]> {
  const child = spawn('pnpm', ['--filter', name, 'start'], {
    cwd: root,
    env: { ...process.env, JA4GUARD_CERT_DIR: certificateDirectory, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let output = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    output += chunk;
  });
  await waitFor(() => [...output.matchAll(LISTENING)].length >= count, 20_000).catch(
    (error: Error) => {
      throw new Error(`${error.message}; ${name} output:\n${output}`);
    },
  );
  return [...output.matchAll(LISTENING)].map((match) => Number(match[1]));
}

/** Returns the status of one request, or 'reset' when the connection is closed first. */
async function outcomeOf(port: number, path = '/'): Promise<number | 'reset'> {
  try {
    return (await sendRequest(port, { path })).status;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') return 'reset';
    throw error;
  }
}

/** Polls every 50 ms for at most one second until a request gets `expected`. */
async function within1s(port: number, expected: number | 'reset'): Promise<number | 'reset'> {
  const deadline = Date.now() + 1_000;
  let last = await outcomeOf(port);
  while (last !== expected && Date.now() < deadline) {
    await delay(50);
    last = await outcomeOf(port);
  }
  return last;
}

describe('basic examples', () => {
  for (const name of ['@ja4guard/example-fastify-basic', '@ja4guard/example-express-basic']) {
    it(`runs ${name.slice('@ja4guard/example-'.length)}`, async () => {
      const [port] = await startExample(name, { PORT: '0', BLOCK_JA4: nodeJa4 });
      const blocked = await sendRequest(port!);
      expect(blocked.status).toBe(403);
      expect(JSON.parse(blocked.body)).toMatchObject({ rule: 'blocked-ja4' });
      expect((await sendRequest(port!, { path: '/health' })).status).toBe(200);
    });
  }
});

describe.skipIf(!redis.available)(
  `fastify-redis example${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    const prefix = uniquePrefix();

    afterAll(async () => {
      const admin = createClient();
      await waitUntilReady(admin);
      await deleteKeys(admin, prefix);
      await admin.quit();
    });

    it('shares a ban between its instances', async () => {
      const name = '@ja4guard/example-fastify-redis';
      const [portA, portB] = await startExample(
        name,
        { PORT_A: '0', PORT_B: '0', KEY_PREFIX: prefix },
        2,
      );
      expect((await sendRequest(portB!)).status).toBe(200);

      const added = await sendRequest(portA!, {
        path: '/admin/blocklist',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ja4: nodeJa4, ttlSeconds: 30 }),
      });
      expect(added.status).toBe(201);
      expect(await within1s(portB!, 'reset')).toBe('reset');

      await execFileAsync('pnpm', ['--filter', name, 'unban', nodeJa4], {
        cwd: root,
        env: { ...process.env, KEY_PREFIX: prefix },
        timeout: 20_000,
      });
      expect(await within1s(portB!, 200)).toBe(200);
    });
  },
);
