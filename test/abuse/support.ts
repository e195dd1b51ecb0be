// Helpers shared by the abuse tests and by the child processes they start.
// Nothing here imports vitest, so the child scripts can load it under tsx.

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type CorpusRow, readCorpus } from '../helpers/corpus.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** TCP rows of the corpus that carry TLS records, in corpus order. */
export function tcpHellos(): CorpusRow[] {
  return readCorpus().filter(
    (row) =>
      row.transport === 'tcp' && row.record_hex !== undefined && row.expected.ja4 !== undefined,
  );
}

/** Returns the wire bytes (TLS records) of a corpus row. */
export function recordBytes(row: CorpusRow): Buffer {
  return Buffer.from(row.record_hex!, 'hex');
}

/** Result of one HTTPS or HTTP/2 GET, with the time from the request to the end of the body. */
export interface TimedResponse {
  status: number;
  body: string;
  latencyMs: number;
}

/** GET over HTTP/1.1 on a new TLS connection to 127.0.0.1. */
export function timedHttpsGet(port: number, timeoutMs = 10_000): Promise<TimedResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = https.get(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        rejectUnauthorized: false,
        agent: false,
        headers: { connection: 'close' },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            body,
            latencyMs: performance.now() - started,
          });
        });
      },
    );
    request.setTimeout(timeoutMs, () => {
      request.destroy(new Error(`GET https://127.0.0.1:${port}/ timed out after ${timeoutMs} ms`));
    });
    request.on('error', reject);
  });
}

/** GET over HTTP/2 on a new session to 127.0.0.1. */
export async function timedHttp2Get(port: number, timeoutMs = 10_000): Promise<TimedResponse> {
  const started = performance.now();
  const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
  const sessionError = new Promise<never>((_resolve, reject) => {
    session.on('error', reject);
  });
  const timer = setTimeout(() => {
    session.destroy(new Error(`HTTP/2 GET to port ${port} timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  try {
    const stream = session.request({ ':path': '/' });
    let status = 0;
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.setEncoding('utf8');
    let body = '';
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    await Promise.race([once(stream, 'end'), sessionError]);
    return { status, body, latencyMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
    session.close();
  }
}

/** A raw TCP client whose errors are recorded instead of thrown. */
export interface RawClient {
  socket: Socket;
  /** Resolves when the socket has closed. */
  closed: Promise<void>;
  errors: Error[];
}

/** Connects a raw TCP client to 127.0.0.1 and resolves once it is connected. */
export async function connectRaw(port: number): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  const errors: Error[] = [];
  socket.on('error', (error) => errors.push(error));
  socket.resume();
  // Not events.once(), which rejects on 'error': a reset by the server is an expected way to close.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await Promise.race([once(socket, 'connect'), closed]);
  return { socket, closed, errors };
}

/** Resolves with `promise`, or rejects with `message` when it has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (timed out after ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` tasks in flight. */
export async function runBounded(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Returns the soft or hard open-file limit of a shell started by this process, as `ulimit` prints it. */
export function openFileLimit(kind: 'soft' | 'hard' = 'soft'): string {
  const flag = kind === 'soft' ? '-Sn' : '-Hn';
  const result = spawnSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8', timeout: 5_000 });
  return result.stdout.trim();
}

/**
 * Runs a script of this folder in a child Node process started with
 * `--expose-gc`, loading TypeScript through tsx with the workspace packages
 * resolved to their sources. Resolves with the JSON object that the script
 * prints as its last line of standard output.
 *
 * Node raises its soft open-file limit to the hard limit when it starts, so
 * the child can open as many descriptors as `ulimit -Hn` allows. Throws
 * before starting the child when that is less than `minOpenFiles`.
 */
export async function runChild<T>(
  script: string,
  args: string[],
  options: { timeoutMs: number; minOpenFiles: number },
): Promise<T> {
  const { timeoutMs, minOpenFiles } = options;
  const hardLimit = openFileLimit('hard');
  if (hardLimit !== 'unlimited' && Number(hardLimit) < minOpenFiles) {
    throw new Error(
      `${script} needs ${minOpenFiles} open files, but the hard limit (ulimit -Hn) is ${hardLimit}. Raise it, for example with ulimit -n ${minOpenFiles} as root or in /etc/security/limits.conf.`,
    );
  }

  const scriptPath = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--conditions=@ja4guard/source', '--import', 'tsx', scriptPath, ...args],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });

  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);

  if (code !== 0) {
    const reason =
      signal === 'SIGKILL' ? `was killed after ${timeoutMs} ms` : `exited with ${code}`;
    throw new Error(
      `${script} ${args.join(' ')} ${reason}.\nstderr:\n${stderr}\nstdout:\n${stdout}`,
    );
  }
  const lastLine = stdout.trimEnd().split('\n').at(-1) ?? '';
  return JSON.parse(lastLine) as T;
}

/** Heap figures of a child process, in bytes, each taken after full garbage collections. */
export interface HeapSample {
  heapUsed: number;
  external: number;
  rss: number;
}

/**
 * Runs full garbage collections until the used heap stops shrinking (at most
 * ten rounds), then samples it. Needs `--expose-gc`.
 */
export async function sampleHeap(): Promise<HeapSample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('global.gc is missing. Start node with --expose-gc.');
  let previous = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 10; round++) {
    // Let closed sockets run their pending callbacks so they become garbage.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= previous - 16 * 1024) break;
    previous = used;
  }
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, external: usage.external, rss: usage.rss };
}

/** Parses `--name value` pairs into a map. Unknown names are kept; the caller checks them. */
export function parseNamedArgs(argv: string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < argv.length; i += 2) {
    const name = argv[i]!;
    if (!name.startsWith('--')) throw new Error(`Invalid argument ${name}: expected --name value.`);
    values.set(name.slice(2), argv[i + 1]!);
  }
  return values;
}

/** Reads a positive integer argument, or `fallback` when it is absent. */
export function integerArg(values: Map<string, string>, name: string, fallback: number): number {
  const text = values.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`Invalid --${name} ${text}: expected a positive integer.`);
  }
  return value;
}
