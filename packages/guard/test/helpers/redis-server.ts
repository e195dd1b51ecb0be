import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

/** A redis-server process started by a test on 127.0.0.1. */
export interface RedisServer {
  readonly port: number;
  /** Sends SIGSTOP: the server keeps its connections open but stops replying. */
  pause(): void;
  /** Sends SIGCONT after {@link RedisServer.pause}. */
  resume(): void;
  /** Kills the process (SIGKILL) and waits for it to exit, at most 5 s. */
  stop(): Promise<void>;
}

/** Returns whether nothing listens on 127.0.0.1:port. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Returns a port that the OS reports free on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Finds `count` ports from `first` on whose cluster bus port (port + 10000) is free too. */
export async function findClusterPorts(
  count: number,
  first = 7101,
  last = 7400,
): Promise<number[]> {
  const ports: number[] = [];
  for (let port = first; port <= last && ports.length < count; port++) {
    if ((await isPortFree(port)) && (await isPortFree(port + 10_000))) {
      ports.push(port);
    }
  }
  if (ports.length < count) {
    throw new Error(`Found only ${ports.length} of ${count} free port pairs in ${first}-${last}`);
  }
  return ports;
}

/** Creates a temporary directory for server files; remove it with {@link removeDirectory}. */
export function createTempDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'ja4guard-redis-'));
}

/** Removes a directory made by {@link createTempDirectory}. */
export function removeDirectory(directory: string): Promise<void> {
  return rm(directory, { recursive: true, force: true });
}

async function pingUntilReady(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      connectTimeout: 500,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (error) {
      lastError = error;
    } finally {
      client.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `redis-server on port ${port} did not reply to PING within ${timeoutMs} ms: ${String(lastError)}`,
  );
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Starts `redis-server` in the foreground on 127.0.0.1:port without
 * persistence, and waits up to 5 s for its reply to PING.
 */
export async function startRedisServer(
  port: number,
  directory: string,
  cluster = false,
): Promise<RedisServer> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--dir',
    directory,
  ];
  if (cluster) {
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`);
  }
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const server: RedisServer = {
    port,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop: async () => {
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
    },
  };
  try {
    await pingUntilReady(port, 5000);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** Joins the servers into a cluster without replicas and waits up to 15 s for `cluster_state:ok` on each. */
export async function createCluster(ports: readonly number[]): Promise<void> {
  const nodes = ports.map((port) => `127.0.0.1:${port}`);
  await run(
    'redis-cli',
    ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'],
    {
      timeout: 20_000,
    },
  );

  const deadline = Date.now() + 15_000;
  for (const port of ports) {
    for (;;) {
      const { stdout } = await run(
        'redis-cli',
        ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info'],
        {
          timeout: 5000,
        },
      );
      if (stdout.includes('cluster_state:ok')) {
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(`Cluster node ${port} did not reach cluster_state:ok within 15 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
