import type { Socket } from 'node:net';
import type { ClientHelloEvent, ClientHelloVerdict } from '@ja4guard/core';
import { GuardError, GuardErrorCode } from '../errors.js';
import type { Guard } from '../guard.js';
import type { Decision, GuardContext, GuardLogger } from '../types.js';

/** Minimum milliseconds between two log lines of one hook with the same key (dry-run reports, callback errors). */
const REPORT_INTERVAL_MS = 60_000;
const NO_HEADERS: GuardContext['headers'] = Object.freeze({});

/** Options of `guard.connectionHook()`. */
export interface ConnectionHookOptions {
  /**
   * Called for each connection that the guard drops, or in dry-run mode would
   * drop (then `decision.enforced` is false): a blocklist hit, or a
   * connection-stage `block` or `rateLimit` rule. It runs before the socket is
   * closed. An exception it throws is logged through the guard's `logger` and
   * does not change the verdict.
   */
  readonly onDrop?: (decision: Decision, event: ClientHelloEvent) => void;
}

/** An `onClientHello` function for the capture options of `@ja4guard/core`. */
export type ConnectionHook = (
  event: ClientHelloEvent,
  socket: Socket,
) => ClientHelloVerdict | Promise<ClientHelloVerdict>;

/** The guard's part of the hook: evaluation of the blocklist and the connection-stage rules. */
export interface ConnectionEvaluator {
  evaluate(context: GuardContext): Decision | Promise<Decision>;
  readonly logger: GuardLogger | null;
}

/**
 * Builds the guard context of a connection. Only the fingerprint and the
 * client IP are known; `event.remoteAddress` is the address from the PROXY
 * header when the capture reads one. Rate-limit key functions and predicates
 * of connection rules see an empty method, path and header set.
 */
export function connectionContext(event: ClientHelloEvent): GuardContext {
  return {
    fingerprint: event.fingerprint,
    ip: event.remoteAddress ?? '',
    method: '',
    path: '',
    host: null,
    headers: NO_HEADERS,
  };
}

/** Log that writes a repeating line once per interval and key, with the number of lines suppressed. */
class ReportLog {
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly logger: GuardLogger | null) {}

  write(level: 'info' | 'error', key: string, fields: object, message: string): void {
    if (this.logger === null) {
      return;
    }
    const now = Date.now();
    const state = this.lastLogged.get(key);
    if (state !== undefined && now - state.at < REPORT_INTERVAL_MS) {
      state.suppressed++;
      return;
    }
    this.lastLogged.set(key, { at: now, suppressed: 0 });
    this.logger[level]({ ...fields, suppressed: state?.suppressed ?? 0 }, message);
  }
}

/**
 * Builds the hook behind `guard.connectionHook()`. A blocklist hit and a
 * connection-stage `block` or exceeded `rateLimit` return `'drop'`; `allow`,
 * `log` and `pass` return `'accept'`. The verdict comes without a promise when
 * no store call is needed. Throws `ERR_JA4GUARD_INVALID_OPTION` for a bad option.
 */
export function buildConnectionHook(
  evaluator: ConnectionEvaluator,
  options: ConnectionHookOptions = {},
): ConnectionHook {
  const onDrop = options.onDrop;
  if (onDrop !== undefined && typeof onDrop !== 'function') {
    throw new GuardError(GuardErrorCode.INVALID_OPTION, 'Invalid connection hook option', {
      option: 'onDrop',
      value: onDrop,
      hint: 'Pass a function (decision, event) => void, or leave it out.',
    });
  }
  const reports = new ReportLog(evaluator.logger);

  const report = (decision: Decision, event: ClientHelloEvent): void => {
    if (onDrop !== undefined) {
      try {
        onDrop(decision, event);
      } catch (error) {
        reports.write(
          'error',
          'on-drop',
          { err: error },
          'The onDrop callback of the connection hook threw; the verdict stands',
        );
      }
    }
    if (!decision.enforced) {
      reports.write(
        'info',
        `dry-run:${decision.rule ?? decision.reason}`,
        {
          rule: decision.rule,
          reason: decision.reason,
          ja4: event.fingerprint.ja4,
          ip: event.remoteAddress,
        },
        'Dry run: the guard would have dropped a connection before the TLS handshake',
      );
    }
  };

  const verdictOf = (decision: Decision, event: ClientHelloEvent): ClientHelloVerdict => {
    if (decision.action !== 'block' && decision.action !== 'limit') {
      return 'accept';
    }
    report(decision, event);
    return decision.enforced ? 'drop' : 'accept';
  };

  return (event) => {
    const outcome = evaluator.evaluate(connectionContext(event));
    if (outcome instanceof Promise) {
      return outcome.then((decision) => verdictOf(decision, event));
    }
    return verdictOf(outcome, event);
  };
}

/** Same as `guard.connectionHook(options)`. */
export function createConnectionHook(
  guard: Guard,
  options?: ConnectionHookOptions,
): ConnectionHook {
  return guard.connectionHook(options);
}
