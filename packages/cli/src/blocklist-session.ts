import {
  createGuard,
  type Guard,
  type GuardBlocklist,
  GuardErrorCode,
  type GuardLogger,
  redisStore,
} from '@ja4guard/guard';
import { CommandFailure } from './commands/command.js';
import { closeRedis, connectRedis, createRedisClient, type RedisTarget } from './redis.js';

/** Maximum time ioredis may take to open the TCP (or TLS) connection, in milliseconds. */
const MAX_CONNECT_TIMEOUT_MS = 5000;

/** Settings of one blocklist command run against Redis. */
export interface SessionSettings {
  readonly target: RedisTarget;
  /** Prefix of the guard's Redis keys and channel, which must equal the keyPrefix of the running apps. */
  readonly keyPrefix: string;
  /** Time the whole run may take, from connecting to the last reply, in milliseconds. */
  readonly timeoutMs: number;
  readonly stderr: NodeJS.WritableStream;
}

/** Step that a session is in, for the timeout message. */
export interface SessionProgress {
  stage: string;
}

/** The command did not finish within `SessionSettings.timeoutMs`. */
export class SessionTimeoutError extends CommandFailure {
  override readonly name: string = 'SessionTimeoutError';
}

/** A Redis command of the session failed or timed out. */
export class RedisCommandError extends CommandFailure {
  override readonly name: string = 'RedisCommandError';
}

/**
 * Connects to Redis, creates a guard without rules on that connection, waits for its
 * first blocklist sync, and runs `action` on the guard's blocklist. Writes then go
 * through the same Redis keys and pub/sub channel that running guards subscribe to.
 *
 * Everything up to the end of `action` must finish within `timeoutMs`, or the promise
 * rejects with SessionTimeoutError and the connection is dropped. Closing afterwards can
 * add up to 2 s, the guard's limit for its subscriber connection to quit.
 * Rejects with RedisConnectError when the connection fails, and with
 * RedisCommandError when a Redis command fails or passes the guard's timeout for
 * blocklist commands (BLOCKLIST_COMMAND_TIMEOUT_MS in @ja4guard/guard, 2 s).
 */
export async function runBlocklistSession<T>(
  settings: SessionSettings,
  action: (blocklist: GuardBlocklist, progress: SessionProgress) => Promise<T>,
): Promise<T> {
  const progress: SessionProgress = { stage: `connecting to Redis at ${settings.target.display}` };
  const client = createRedisClient(
    settings.target,
    Math.min(MAX_CONNECT_TIMEOUT_MS, settings.timeoutMs),
  );
  let guard: Guard | null = null;
  let timedOut = false;

  const work = async (): Promise<T> => {
    await connectRedis(client, settings.target);
    if (timedOut) {
      // The timeout fired while the connection opened, so no guard may start after the cleanup.
      throw new SessionTimeoutError('timed out');
    }

    progress.stage = `loading the blocklist from Redis at ${settings.target.display}`;
    guard = createGuard({
      store: redisStore(client),
      keyPrefix: settings.keyPrefix,
      logger: stderrLogger(settings.stderr),
    });
    await guard.ready();
    // ready() resolves even when the first sync failed, but sync() rejects, so after it
    // the local copy that remove and list read is known to match Redis.
    await guard.blocklist.sync();
    return action(guard.blocklist, progress);
  };

  try {
    return await withTimeout(
      work().catch((error: unknown) => {
        throw describeStoreError(error, progress.stage);
      }),
      settings.timeoutMs,
      () => {
        timedOut = true;
        return new SessionTimeoutError(
          `timed out after ${formatSeconds(settings.timeoutMs)} while ${progress.stage}; check that Redis replies, or raise --timeout`,
        );
      },
    );
  } finally {
    if (timedOut) {
      // Dropping the connection first makes pending commands fail instead of waiting.
      await closeRedis(client, false);
    }
    await (guard as Guard | null)?.close();
    await closeRedis(client, !timedOut);
  }
}

/** Turns the guard's STORE_UNAVAILABLE error into RedisCommandError and returns other errors unchanged. */
function describeStoreError(error: unknown, stage: string): unknown {
  if (
    !(error instanceof Error) ||
    (error as { code?: unknown }).code !== GuardErrorCode.STORE_UNAVAILABLE
  ) {
    return error;
  }
  const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
  return new RedisCommandError(
    `failed while ${stage}: ${cause.replace(/\.+$/, '')}. Check that Redis replies and that the Redis user may run the command, then run the command again`,
  );
}

/** Settles like `promise`, or rejects with `onTimeout()` after `ms` milliseconds. */
function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/**
 * Logger that prints the guard's warnings and errors on stderr, such as malformed
 * entries that a sync skipped. Store outage lines (those with an `operation` field)
 * are left out: they describe the fallback of a long-running app, and the command
 * reports the failed operation itself.
 */
function stderrLogger(stderr: NodeJS.WritableStream): GuardLogger {
  return {
    info: () => {},
    warn: (_fields, message) => {
      stderr.write(`ja4guard: warning: ${message}\n`);
    },
    error: (fields, message) => {
      if ('operation' in fields) {
        return;
      }
      stderr.write(`ja4guard: ${message}\n`);
    },
  };
}
