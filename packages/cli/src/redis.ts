import type { RedisClient } from '@ja4guard/guard';
import { Cluster, type ClusterNode, Redis, type RedisOptions } from 'ioredis';
import { CommandFailure, UsageError } from './commands/command.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Milliseconds that closing a connection may wait for the server before the socket is destroyed. */
const DISCONNECT_TIMEOUT_MS = 200;
/** Environment variable read when `--redis` is absent. */
export const REDIS_URL_VARIABLE = 'JA4GUARD_REDIS_URL';

/** Redis server, or Redis Cluster startup nodes, to connect to. */
export interface RedisTarget {
  readonly cluster: boolean;
  readonly urls: readonly URL[];
  /** The URLs with any password replaced by `***`, for messages. */
  readonly display: string;
}

/**
 * Parses `--redis` (or the environment variable named by `source`). Without `cluster`
 * it takes one `redis://` or `rediss://` URL. With `cluster`, it takes a comma-separated
 * list of startup nodes that share the scheme and the credentials. Throws UsageError.
 */
export function parseRedisTarget(text: string, cluster: boolean, source: string): RedisTarget {
  const items = text.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw new UsageError(`${source} contains an empty URL: '${redactUrlText(text)}'`);
  }
  if (!cluster && items.length > 1) {
    throw new UsageError(
      `${source} contains ${items.length} URLs; pass --cluster to use them as Redis Cluster nodes`,
    );
  }

  const urls = items.map((item) => parseRedisUrl(item, source));
  if (cluster) {
    checkClusterUrls(urls, source);
  }
  return { cluster, urls, display: urls.map(redactUrl).join(',') };
}

function parseRedisUrl(text: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `invalid Redis URL '${redactUrlText(text)}' in ${source}; expected redis://HOST:PORT`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(
      `unsupported scheme '${url.protocol}' in ${source} URL '${redactUrl(url)}'; use redis:// or rediss://`,
    );
  }
  if (url.hostname === '') {
    throw new UsageError(`${source} URL '${redactUrl(url)}' has no host`);
  }
  return url;
}

/** Cluster clients apply one set of credentials and TLS settings to every node, and use database 0. */
function checkClusterUrls(urls: readonly URL[], source: string): void {
  const first = urls[0] as URL;
  for (const url of urls) {
    if (url.pathname !== '' && url.pathname !== '/' && url.pathname !== '/0') {
      throw new UsageError(
        `${source} URL '${redactUrl(url)}' selects database ${url.pathname.slice(1)}, but Redis Cluster has only database 0`,
      );
    }
    if (
      url.protocol !== first.protocol ||
      url.username !== first.username ||
      url.password !== first.password
    ) {
      throw new UsageError(
        `the cluster node URLs in ${source} differ in scheme or credentials; give every node the same ones`,
      );
    }
  }
}

/** Returns the URL with its password replaced by `***`. */
export function redactUrl(url: URL): string {
  if (url.password === '') {
    return url.href;
  }
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href;
}

/** Hides the `user:password@` part of text that did not parse as a URL. */
function redactUrlText(text: string): string {
  return text.replace(/\/\/[^/@]*@/g, '//***@');
}

/**
 * Creates an ioredis client that connects only when `connectRedis` is called, fails
 * commands at once while disconnected (no offline queue, one retry per command), and
 * never reconnects, so that a lost connection ends the command with an error.
 */
export function createRedisClient(target: RedisTarget, connectTimeoutMs: number): RedisClient {
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: connectTimeoutMs,
    // ioredis waits this long (default 2000 ms) for the server to close the socket after a
    // disconnect, and a server that stopped replying keeps the process alive until then.
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  };
  let client: RedisClient;
  if (target.cluster) {
    const first = target.urls[0] as URL;
    client = new Cluster(target.urls.map(clusterNode), {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: () => null,
      redisOptions: {
        ...common,
        ...credentials(first),
        ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    });
  } else {
    client = new Redis((target.urls[0] as URL).href, { ...common, retryStrategy: () => null });
  }
  return client;
}

function clusterNode(url: URL): ClusterNode {
  // URL keeps IPv6 hosts in brackets, which a socket address must not have.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: url.port === '' ? 6379 : Number(url.port) };
}

function credentials(url: URL): Pick<RedisOptions, 'username' | 'password'> {
  return {
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
  };
}

/** Failure to open the connection to Redis. The message names the URL and the next step. */
export class RedisConnectError extends CommandFailure {
  override readonly name: string = 'RedisConnectError';
}

/**
 * Opens the connection and waits until the server is ready for commands. Rejects with
 * RedisConnectError, whose message contains the socket or server error, because
 * ioredis itself rejects only with "Connection is closed." or a cluster summary.
 */
export async function connectRedis(client: RedisClient, target: RedisTarget): Promise<void> {
  const errors: string[] = [];
  // The listeners stay for the life of the client: without an `error` listener, a later
  // connection error would be thrown as an unhandled event.
  client.on('error', (error: Error) => {
    errors.push(error.message);
  });
  client.on('node error', (error: Error, node: string) => {
    errors.push(`${node}: ${error.message}`);
  });

  try {
    await client.connect();
  } catch (error) {
    // ioredis messages often end with a period, which would double up in the sentence below.
    const reported = [...new Set(errors)].map((text) => text.replace(/\.+$/, '')).join('; ');
    const detail = reported === '' ? (error as Error).message.replace(/\.+$/, '') : reported;
    const authentication = /NOAUTH|WRONGPASS|invalid password/i.test(detail);
    const next = authentication
      ? 'Put the credentials in the URL: redis://USER:PASSWORD@HOST:PORT.'
      : `Is Redis running there? Pass --redis URL or set ${REDIS_URL_VARIABLE}.`;
    throw new RedisConnectError(`cannot connect to Redis at ${target.display}: ${detail}. ${next}`);
  }
}

/**
 * Closes the connection. With `graceful`, it sends QUIT and waits up to a second for the
 * reply; otherwise, or when QUIT gets no reply, it drops the connection.
 */
export async function closeRedis(client: RedisClient, graceful: boolean): Promise<void> {
  if (graceful && client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1000);
    });
    await Promise.race([client.quit().catch(() => undefined), timeout]);
    clearTimeout(timer);
  }
  if (client.status !== 'end') {
    client.disconnect();
  }
}
