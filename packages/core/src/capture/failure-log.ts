import type { Capture, CaptureFailure } from './attach.js';
import type { CaptureFailureKind } from './stats.js';

// Framework-agnostic: the Fastify plugin and the Express helper both log through it.

/** Log levels of pino, and so of Fastify's logger, that the failure summary may use. */
export const FAILURE_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export type FailureLogLevel = (typeof FAILURE_LOG_LEVELS)[number];

/** A log method in pino's argument order: the fields object first, then the message. */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void;

/** A pino-shaped logger. Only the method of the configured level must exist. */
export type FailureLogger = { readonly [Level in FailureLogLevel]?: LogMethod };

/** Options of the capture failure summary. */
export interface FailureLogOptions {
  /**
   * Length of one summary window, in milliseconds. The first failure opens a
   * window, and one line per failure group is written when it ends. Default
   * 60,000.
   */
  failureLogIntervalMs?: number;
  /** Logger method that writes the summary lines. Default `'warn'`. */
  failureLogLevel?: FailureLogLevel;
}

/** Error for an invalid failure log option, thrown before the capture is attached. */
export class FailureLogOptionError extends TypeError {
  override readonly name = 'FailureLogOptionError';
  readonly code = 'ERR_INVALID_FAILURE_LOG_OPTION';
  /** Name of the option. */
  readonly option: string;
  /** The value received. */
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string) {
    super(`Invalid option ${option}: expected ${expected}, received ${describeValue(value)}.`);
    this.option = option;
    this.value = value;
  }
}

const DEFAULT_INTERVAL_MS = 60_000;

/** Largest delay that setTimeout accepts: 2^31 - 1 ms, about 24.8 days. */
const MAX_INTERVAL_MS = 2_147_483_647;

const KIND_MESSAGES: Record<CaptureFailureKind, string> = {
  'not-tls': 'connections sent bytes that are not TLS, for example plain HTTP to the HTTPS port',
  sslv2: 'connections sent an SSL 2.0-compatible ClientHello, which JA4 does not cover',
  malformed: 'connections sent a malformed ClientHello and have no fingerprint',
  timeout: 'connections did not send a complete ClientHello in time and were closed',
  oversized: 'connections sent a ClientHello larger than maxHelloBytes and were closed',
  incomplete: 'connections closed before their ClientHello was complete',
  'hook-failed': 'onClientHello threw, rejected or timed out, so the connections were accepted',
  'proxy-rejected': 'connections had a missing, invalid or untrusted PROXY header and were closed',
};

/** Failures of one kind, parse error code and non-TLS kind within the current window. */
interface PendingFailures {
  readonly kind: CaptureFailureKind;
  readonly code: string | undefined;
  readonly notTlsKind: string | undefined;
  count: number;
  remoteAddress: string | undefined;
  detail: string;
}

/**
 * Summarises the `failure` events of a capture: at most one log line per
 * window and group, with the number of failures. A group is a failure kind
 * with its parse error code or, for `not-tls`, what the first bytes look like. The line
 * carries the address and the error message of the most recent failure,
 * never the bytes the client sent.
 */
export class CaptureFailureLog {
  readonly #logger: FailureLogger;
  readonly #level: FailureLogLevel;
  readonly #intervalMs: number;
  readonly #pending = new Map<string, PendingFailures>();
  #capture: Capture | null = null;
  #timer: NodeJS.Timeout | null = null;

  /** @throws {FailureLogOptionError} when an option or the logger's method for the level is invalid. */
  constructor(logger: FailureLogger, options: FailureLogOptions = {}) {
    this.#intervalMs = resolveInterval(options.failureLogIntervalMs);
    this.#level = resolveLevel(options.failureLogLevel);
    if (typeof logger?.[this.#level] !== 'function') {
      throw new FailureLogOptionError(
        'logger',
        logger,
        `a pino-shaped logger with a ${this.#level}(fields, message) method`,
      );
    }
    this.#logger = logger;
  }

  /** Subscribes to the `failure` events of `capture`. */
  start(capture: Capture): void {
    this.stop();
    this.#capture = capture;
    capture.on('failure', this.#onFailure);
  }

  /** Unsubscribes and writes the failures counted so far. */
  stop(): void {
    this.#capture?.removeListener('failure', this.#onFailure);
    this.#capture = null;
    this.flush();
  }

  /** Writes the failures counted so far and closes the current window. */
  flush(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const entries = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of entries) this.#write(entry);
  }

  #onFailure = (failure: CaptureFailure): void => {
    const key = `${failure.kind}:${failure.code ?? ''}:${failure.notTlsKind ?? ''}`;
    const entry = this.#pending.get(key);
    if (entry === undefined) {
      this.#pending.set(key, {
        kind: failure.kind,
        code: failure.code,
        notTlsKind: failure.notTlsKind,
        count: 1,
        remoteAddress: failure.remoteAddress,
        detail: failure.message,
      });
    } else {
      entry.count++;
      entry.remoteAddress = failure.remoteAddress;
      entry.detail = failure.message;
    }

    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.flush(), this.#intervalMs);
      // A pending summary must not keep the process alive.
      this.#timer.unref();
    }
  };

  #write(entry: PendingFailures): void {
    const fields = {
      kind: entry.kind,
      code: entry.code,
      notTlsKind: entry.notTlsKind,
      count: entry.count,
      remoteAddress: entry.remoteAddress,
      detail: entry.detail,
    };
    // Called as a method, so pino's methods keep their `this`.
    this.#logger[this.#level]?.(fields, `ClientHello capture: ${KIND_MESSAGES[entry.kind]}`);
  }
}

function resolveInterval(value: unknown): number {
  if (value === undefined) return DEFAULT_INTERVAL_MS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new FailureLogOptionError('failureLogIntervalMs', value, 'a positive integer');
  }
  if (value > MAX_INTERVAL_MS) {
    throw new FailureLogOptionError(
      'failureLogIntervalMs',
      value,
      `at most ${MAX_INTERVAL_MS} (the largest setTimeout delay)`,
    );
  }
  return value;
}

function resolveLevel(value: unknown): FailureLogLevel {
  if (value === undefined) return 'warn';
  if (!(FAILURE_LOG_LEVELS as readonly unknown[]).includes(value)) {
    throw new FailureLogOptionError(
      'failureLogLevel',
      value,
      `one of ${FAILURE_LOG_LEVELS.map((level) => `'${level}'`).join(', ')}`,
    );
  }
  return value as FailureLogLevel;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
