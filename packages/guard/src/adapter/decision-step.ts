import type { Guard } from '../guard.js';
import type { DecisionResponder, DecisionResponse } from '../http/response.js';
import type { ThrottledLog } from '../log.js';
import type { Decision, GuardContext } from '../types.js';
import { logDecision } from './decision-log.js';
import { GuardCheckError } from './errors.js';
import type { AdapterLogger, DecisionHook, DecisionLogLevel } from './options.js';

/** Outcome of the decision step: the response to send, or the header fields to add. */
export interface DecisionOutcome {
  /** The 403 or 429 response to send, or null when the request goes on. */
  readonly response: DecisionResponse<unknown> | null;
  /** Header fields to add when the request goes on: RateLimit fields under a rate limit. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Settings of a {@link DecisionStep}, checked by `createEnforcement`. */
export interface DecisionStepSettings<Request> {
  readonly responder: DecisionResponder<Request>;
  /** Responder without `buildBody`, used when `buildBody` throws; null when there is no `buildBody`. */
  readonly fallbackResponder: DecisionResponder<Request> | null;
  readonly logLevel: DecisionLogLevel | false;
  readonly onDecision: DecisionHook<Request> | undefined;
  readonly onBlocked: DecisionHook<Request> | undefined;
  readonly onLimited: DecisionHook<Request> | undefined;
  /** Whether a failed check ends the request with a {@link GuardCheckError} instead of letting it through. */
  readonly failClosed: boolean;
}

const GO_ON: DecisionOutcome = Object.freeze({ response: null, headers: Object.freeze({}) });

/**
 * The framework-independent part of each request's decision: runs the guard,
 * logs the decision, calls the hooks and builds the response. Nothing in it
 * throws into the request, except the {@link GuardCheckError} that
 * {@link DecisionStep.failure} returns under `failClosed`.
 */
export class DecisionStep<Request> {
  readonly guard: Guard;
  readonly #settings: DecisionStepSettings<Request>;
  readonly #errors: ThrottledLog;

  constructor(guard: Guard, settings: DecisionStepSettings<Request>, errors: ThrottledLog) {
    this.guard = guard;
    this.#settings = settings;
    this.#errors = errors;
  }

  /**
   * Runs `guard.evaluate`, which returns without a promise when no store call
   * is needed. Returns null, after logging, when the guard throws or rejects:
   * the guard handles store outages itself, so this is an internal error.
   */
  evaluate(
    context: GuardContext,
    guard: Guard = this.guard,
  ): Decision | Promise<Decision | null> | null {
    let outcome: Decision | Promise<Decision>;
    try {
      outcome = guard.evaluate(context);
    } catch (error) {
      return this.#checkFailed(error);
    }
    if (outcome instanceof Promise) {
      return outcome.catch((error: unknown) => this.#checkFailed(error));
    }
    return outcome;
  }

  /** Whether a failed check ends the request; see {@link DecisionStep.failure}. */
  get failClosed(): boolean {
    return this.#settings.failClosed;
  }

  /** Returns the error that ends a request whose check failed under `failClosed`, or null to let it through. */
  failure(): GuardCheckError | null {
    return this.#settings.failClosed ? new GuardCheckError() : null;
  }

  /** Logs the decision, calls the hooks and returns the response or the header fields to add. */
  finish(
    decision: Decision,
    request: Request,
    context: GuardContext,
    logger: AdapterLogger | null,
  ): DecisionOutcome {
    const settings = this.#settings;
    logDecision(logger, settings.logLevel, decision, context);
    this.#callHook('onDecision', settings.onDecision, decision, request);
    if (decision.action === 'block') {
      this.#callHook('onBlocked', settings.onBlocked, decision, request);
    } else if (decision.action === 'limit') {
      this.#callHook('onLimited', settings.onLimited, decision, request);
    }

    const response = this.#respond(decision, request);
    if (response !== null) {
      return { response, headers: response.headers };
    }
    const headers = settings.responder.headers(decision);
    return Object.keys(headers).length === 0 ? GO_ON : { response: null, headers };
  }

  #respond(decision: Decision, request: Request): DecisionResponse<unknown> | null {
    const { responder, fallbackResponder } = this.#settings;
    if (fallbackResponder === null) {
      return responder.respond(decision, request);
    }
    try {
      return responder.respond(decision, request);
    } catch (error) {
      this.#errors.error(
        'buildBody',
        { err: error, rule: decision.rule },
        'ja4guard: buildBody threw, so the default response body was sent',
      );
      return fallbackResponder.respond(decision, request);
    }
  }

  #callHook(
    name: string,
    hook: DecisionHook<Request> | undefined,
    decision: Decision,
    request: Request,
  ): void {
    if (hook === undefined) {
      return;
    }
    try {
      const result: unknown = hook(decision, request);
      if (result instanceof Promise) {
        result.catch((error: unknown) => this.#hookFailed(name, error));
      }
    } catch (error) {
      this.#hookFailed(name, error);
    }
  }

  #hookFailed(name: string, error: unknown): void {
    this.#errors.error(
      `hook:${name}`,
      { hook: name, err: error },
      `ja4guard: the ${name} hook threw or rejected; the request goes on unchanged`,
    );
  }

  #checkFailed(error: unknown): null {
    const failClosed = this.#settings.failClosed;
    this.#errors.error(
      'check',
      { err: error, failClosed },
      failClosed
        ? 'ja4guard: the guard check failed, so the request was ended with an error (failClosed)'
        : 'ja4guard: the guard check failed, so the request went on without a decision',
    );
    return null;
  }
}
