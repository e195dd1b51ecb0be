import { GuardError, GuardErrorCode } from './errors.js';
import type { GuardLogger, GuardMode, GuardOptions, RedisClient } from './types.js';

/** Default of `maxKeys`. */
export const DEFAULT_MAX_KEYS = 100_000;
/** Default of `redisTimeoutMs`. */
export const DEFAULT_REDIS_TIMEOUT_MS = 50;
/** Default of `redisProbeIntervalMs`. */
export const DEFAULT_REDIS_PROBE_INTERVAL_MS = 1000;
/** Default of `blocklistSyncIntervalMs`. */
export const DEFAULT_BLOCKLIST_SYNC_INTERVAL_MS = 30_000;
/** Default of `keyPrefix`. */
export const DEFAULT_KEY_PREFIX = 'ja4guard:';
/** `maxRetriesPerRequest` above this gets a warning: a failed command is retried on each reconnect. */
const ADVISED_MAX_RETRIES_PER_REQUEST = 3;
/** Shortest interval accepted for timers, in milliseconds, so that a typo cannot make a timer spin. */
const MIN_INTERVAL_MS = 10;

/** Names of the options of `createGuard()` other than `logger`. */
export const GUARD_OPTION_NAMES = [
  'rules',
  'mode',
  'store',
  'maxKeys',
  'failClosed',
  'redisTimeoutMs',
  'redisProbeIntervalMs',
  'blocklistSyncIntervalMs',
  'keyPrefix',
] as const;

const OPTION_KEYS: ReadonlySet<string> = new Set([...GUARD_OPTION_NAMES, 'logger']);

/** Guard options with defaults applied. */
export interface ResolvedOptions {
  readonly mode: GuardMode;
  readonly redis: RedisClient | null;
  readonly maxKeys: number;
  readonly failClosed: boolean;
  readonly redisTimeoutMs: number;
  readonly redisProbeIntervalMs: number;
  readonly blocklistSyncIntervalMs: number;
  readonly keyPrefix: string;
  readonly logger: GuardLogger | null;
}

function invalidOption(option: string, value: unknown, hint: string): GuardError {
  return new GuardError(GuardErrorCode.INVALID_OPTION, 'Invalid guard option', {
    option,
    value,
    hint,
  });
}

function readNumber(
  value: unknown,
  fallback: number,
  option: string,
  min: number,
  integer: boolean,
): number {
  if (value === undefined) {
    return fallback;
  }
  const valid =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    (!integer || Number.isInteger(value));
  if (!valid) {
    throw invalidOption(
      option,
      value,
      `Pass ${integer ? 'a whole number' : 'a number'} of at least ${min}.`,
    );
  }
  return value;
}

function readLogger(value: unknown): GuardLogger | null {
  if (value === undefined) {
    return null;
  }
  const logger = value as Partial<Record<'info' | 'warn' | 'error', unknown>>;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof logger.info !== 'function' ||
    typeof logger.warn !== 'function' ||
    typeof logger.error !== 'function'
  ) {
    throw invalidOption(
      'logger',
      value,
      'Pass a pino-style logger with info, warn and error methods.',
    );
  }
  return value as GuardLogger;
}

/**
 * Checks that `client` is an ioredis client that fails commands at once while
 * disconnected. Throws `ERR_JA4GUARD_UNSAFE_REDIS_CLIENT` when the offline
 * queue is on, and warns about a large `maxRetriesPerRequest`.
 */
function readRedisClient(client: unknown, logger: GuardLogger | null): RedisClient {
  const candidate = client as {
    isCluster?: unknown;
    options?: unknown;
    duplicate?: unknown;
    multi?: unknown;
  };
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof candidate.isCluster !== 'boolean' ||
    typeof candidate.options !== 'object' ||
    candidate.options === null ||
    typeof candidate.duplicate !== 'function' ||
    typeof candidate.multi !== 'function'
  ) {
    throw invalidOption('store.client', client, 'Pass an ioredis Redis or Cluster instance.');
  }

  const options = candidate.options as {
    enableOfflineQueue?: boolean;
    maxRetriesPerRequest?: number | null;
    redisOptions?: { maxRetriesPerRequest?: number | null };
  };
  if (options.enableOfflineQueue !== false) {
    throw new GuardError(
      GuardErrorCode.UNSAFE_REDIS_CLIENT,
      'The Redis client queues commands while offline',
      {
        option: 'store.client.options.enableOfflineQueue',
        value: options.enableOfflineQueue,
        hint:
          'Create the client with enableOfflineQueue: false and a small maxRetriesPerRequest, ' +
          'for example new Redis({ enableOfflineQueue: false, maxRetriesPerRequest: 1 }), ' +
          'or pass client.duplicate({ enableOfflineQueue: false }).',
      },
    );
  }

  const maxRetries = candidate.isCluster
    ? options.redisOptions?.maxRetriesPerRequest
    : options.maxRetriesPerRequest;
  // ioredis uses 20 when the option is left out, and null means retry without limit.
  const effectiveRetries = maxRetries === undefined ? 20 : maxRetries;
  if (effectiveRetries === null || effectiveRetries > ADVISED_MAX_RETRIES_PER_REQUEST) {
    logger?.warn(
      { store: 'redis', maxRetriesPerRequest: effectiveRetries },
      `The Redis client retries a failed command up to ${effectiveRetries ?? 'unlimited'} times; ` +
        `set maxRetriesPerRequest to ${ADVISED_MAX_RETRIES_PER_REQUEST} or less so that commands fail fast`,
    );
  }
  return client as RedisClient;
}

function readStore(store: unknown, logger: GuardLogger | null): RedisClient | null {
  if (store === undefined) {
    return null;
  }
  const type = (store as { type?: unknown } | null)?.type;
  if (typeof store !== 'object' || store === null || (type !== 'memory' && type !== 'redis')) {
    throw invalidOption(
      'store',
      store,
      "Pass { type: 'memory' } or { type: 'redis', client }, or use redisStore(client).",
    );
  }
  if (type === 'memory') {
    return null;
  }
  return readRedisClient((store as { client?: unknown }).client, logger);
}

/** Validates guard options (rules excepted) and applies defaults. Throws `ERR_JA4GUARD_INVALID_OPTION`. */
export function resolveOptions(options: GuardOptions | undefined): ResolvedOptions {
  if (options === undefined) {
    options = {};
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidOption('options', options, 'Pass an options object, or nothing.');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw invalidOption(key, key, `Unknown option; use one of ${[...OPTION_KEYS].join(', ')}.`);
    }
  }

  const mode = options.mode ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'dry-run') {
    throw invalidOption('mode', mode, "Use 'enforce' or 'dry-run'.");
  }
  const failClosed = options.failClosed ?? false;
  if (typeof failClosed !== 'boolean') {
    throw invalidOption('failClosed', failClosed, 'Pass true or false.');
  }
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof keyPrefix !== 'string') {
    throw invalidOption('keyPrefix', keyPrefix, 'Pass a string.');
  }

  const logger = readLogger(options.logger);
  return {
    mode,
    redis: readStore(options.store, logger),
    maxKeys: readNumber(options.maxKeys, DEFAULT_MAX_KEYS, 'maxKeys', 1, true),
    failClosed,
    redisTimeoutMs: readNumber(
      options.redisTimeoutMs,
      DEFAULT_REDIS_TIMEOUT_MS,
      'redisTimeoutMs',
      1,
      false,
    ),
    redisProbeIntervalMs: readNumber(
      options.redisProbeIntervalMs,
      DEFAULT_REDIS_PROBE_INTERVAL_MS,
      'redisProbeIntervalMs',
      MIN_INTERVAL_MS,
      false,
    ),
    blocklistSyncIntervalMs: readNumber(
      options.blocklistSyncIntervalMs,
      DEFAULT_BLOCKLIST_SYNC_INTERVAL_MS,
      'blocklistSyncIntervalMs',
      MIN_INTERVAL_MS,
      false,
    ),
    keyPrefix,
    logger,
  };
}
