import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { type Capture, getCapture } from '@ja4guard/core';
import type { Enforcement } from '@ja4guard/guard';
import {
  collectMetrics,
  type Guard,
  type MetricsSnapshot,
  type PrometheusMetrics,
  type PrometheusOptions,
  registerPrometheusMetrics,
} from '@ja4guard/guard';
import type { Request } from 'express';

/** Middleware states by guard, so that `attachCapture(server, { guard })` finds the middleware of a guard. */
const statesByGuard = new WeakMap<Guard, MiddlewareState[]>();

/** Returns the states of the middlewares that use `guard`. */
export function statesOf(guard: Guard): readonly MiddlewareState[] {
  return statesByGuard.get(guard) ?? [];
}

/**
 * Run-time state of one `ja4guard()` middleware: the capture of its server,
 * the servers whose closing closes its guard, and its Prometheus
 * registrations.
 */
export class MiddlewareState {
  readonly enforcement: Enforcement<Request>;
  /** The capture of the server, once `attachCapture` or a request showed it. */
  capture: Capture | null = null;
  #lastServer: unknown = null;
  readonly #servers = new WeakSet<object>();
  readonly #registrations: PrometheusMetrics[] = [];
  readonly #pending: Array<Promise<void>> = [];
  #registrationError: unknown = null;
  #closing: Promise<void> | null = null;

  constructor(enforcement: Enforcement<Request>) {
    this.enforcement = enforcement;
    const guard = enforcement.guard;
    if (guard !== null) {
      statesByGuard.set(guard, [...statesOf(guard), this]);
    }
    this.#register({
      guard: guard ?? undefined,
      headerSource: enforcement.headerSource ?? undefined,
    });
  }

  /**
   * Learns the server of a request: its capture, and its `close` event, which
   * closes a guard the middleware created. Costs one comparison per request
   * once the server is known.
   */
  observe(socket: Socket): void {
    const server: unknown = (socket as { server?: unknown }).server;
    if (server === this.#lastServer || typeof server !== 'object' || server === null) {
      return;
    }
    this.#lastServer = server;
    this.closeWith(server as EventEmitter);
    if (server instanceof TlsServer) {
      const capture = getCapture(server);
      if (capture !== null) {
        this.useCapture(capture);
      }
    }
  }

  /** Takes the capture for `metrics()` and Prometheus; a later capture is ignored. */
  useCapture(capture: Capture): void {
    if (this.capture !== null) {
      return;
    }
    this.capture = capture;
    this.#register({ capture });
  }

  /** Closes a guard the middleware created when `server` emits `close`. */
  closeWith(server: EventEmitter): void {
    if (!this.enforcement.ownsGuard || this.#servers.has(server)) {
      return;
    }
    this.#servers.add(server);
    server.once('close', () => {
      void this.close();
    });
  }

  metrics(): MetricsSnapshot {
    return collectMetrics({
      capture: this.capture ?? undefined,
      guard: this.enforcement.guard ?? undefined,
      headerSource: this.enforcement.headerSource ?? undefined,
    });
  }

  async ready(): Promise<void> {
    await Promise.all(this.#pending);
    if (this.#registrationError !== null) {
      throw this.#registrationError;
    }
    await this.enforcement.guard?.ready();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await Promise.all(this.#pending);
    for (const registration of this.#registrations.splice(0)) {
      registration.unregister();
    }
    if (this.enforcement.ownsGuard) {
      await this.enforcement.guard?.close();
    }
  }

  /** Registers Prometheus metrics of the given sources; an error is logged and kept for `ready()`. */
  #register(sources: Pick<PrometheusOptions, 'capture' | 'guard' | 'headerSource'>): void {
    const prometheus = this.enforcement.prometheus;
    if (prometheus === null || Object.values(sources).every((source) => source === undefined)) {
      return;
    }
    const registration = registerPrometheusMetrics({ ...prometheus, ...sources }).then(
      (metrics) => {
        if (this.#closing === null) {
          this.#registrations.push(metrics);
        } else {
          metrics.unregister();
        }
      },
      (error: unknown) => {
        this.#registrationError ??= error;
        this.enforcement.errors.error(
          'prometheus',
          { err: error },
          'ja4guard: could not register the Prometheus metrics',
        );
      },
    );
    this.#pending.push(registration);
  }
}
