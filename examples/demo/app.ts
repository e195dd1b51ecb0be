import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import { attach, type Capture, type CaptureFailure, getCaptureResult } from '@ja4guard/core';
import { createDecisionResponder, createGuard, type Guard, type GuardRule } from '@ja4guard/guard';
import type { KeyPair } from './certificate.js';

/** Requests per JA4 and client IP that the demo allows in one window. */
export interface DemoRateLimit {
  points: number;
  durationSeconds: number;
}

export interface DemoOptions {
  certificate: KeyPair;
  /** Receives one line per new connection, per blocked or limited request, and per capture failure. */
  log: (line: string) => void;
  /** JA4 values or patterns (`t13d*_8daaf6152771_*`) to reject with 403. */
  block?: readonly string[];
  /** Rate limit per JA4 and client IP; null turns it off. Default 30 requests per 60 s. */
  rateLimit?: DemoRateLimit | null;
}

export interface Demo {
  server: http2.Http2SecureServer;
  capture: Capture;
  guard: Guard;
}

const kLogged = Symbol('connection logged');

/** Builds the demo's rules: a block list by JA4 and one rate limit keyed on JA4 plus client IP. */
export function demoRules(options: Pick<DemoOptions, 'block' | 'rateLimit'>): GuardRule[] {
  const rules: GuardRule[] = [];
  if (options.block !== undefined && options.block.length > 0) {
    rules.push({ name: 'blocked-fingerprint', match: { ja4: options.block }, action: 'block' });
  }
  const rateLimit =
    options.rateLimit === undefined ? { points: 30, durationSeconds: 60 } : options.rateLimit;
  if (rateLimit !== null) {
    rules.push({
      name: 'per-client',
      action: 'rateLimit',
      rateLimit: { points: rateLimit.points, duration: rateLimit.durationSeconds, key: 'ja4+ip' },
    });
  }
  return rules;
}

/**
 * Builds the demo server: HTTPS with HTTP/2 and HTTP/1.1 (chosen by ALPN),
 * responding to every request with the fingerprints of its TLS connection,
 * unless the demo's rules block or limit it.
 */
export function createDemo(options: DemoOptions): Demo {
  const guard = createGuard({ rules: demoRules(options) });
  const responder = createDecisionResponder({ guard });

  const server = http2.createSecureServer(
    { ...options.certificate, allowHTTP1: true },
    (request, response) => {
      const socket = request.socket as Socket & { [kLogged]?: boolean };
      const result = getCaptureResult(socket);
      const fingerprint = result?.status === 'captured' ? result.fingerprint : null;

      // One line per connection, at its first request, when the User-Agent is known.
      if (socket[kLogged] !== true) {
        socket[kLogged] = true;
        const userAgent = request.headers['user-agent'] ?? '-';
        options.log(
          `${formatAddress(socket)} ja4=${fingerprint?.ja4 ?? '-'} ua=${JSON.stringify(userAgent)}`,
        );
      }

      const send = (status: number, headers: Record<string, string>, body: unknown): void => {
        const payload = `${JSON.stringify(body, null, 2)}\n`;
        response.writeHead(status, {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        });
        response.end(payload);
      };

      guard
        .check({
          fingerprint,
          ip: socket.remoteAddress ?? '',
          method: request.method,
          path: request.url,
          host: request.headers.host ?? request.headers[':authority'] ?? null,
          headers: request.headers,
        })
        .then((decision) => {
          const rejection = responder.respond(decision, request);
          if (rejection !== null) {
            options.log(
              `${formatAddress(socket)} ${decision.action} by rule ${decision.rule} ja4=${fingerprint?.ja4 ?? '-'}`,
            );
            send(rejection.statusCode, rejection.headers, rejection.body);
            return;
          }
          const body = fingerprint
            ? {
                ja4: fingerprint.ja4,
                ja4_r: fingerprint.ja4_r,
                ja4_o: fingerprint.ja4_o,
                ja4_ro: fingerprint.ja4_ro,
                ja3: fingerprint.ja3,
                ja3_full: fingerprint.ja3_full,
                sni: fingerprint.serverName,
                alpn: fingerprint.alpnProtocols,
                http: request.httpVersion,
              }
            : { error: 'no TLS fingerprint for this connection', capture: result?.status ?? null };
          send(fingerprint ? 200 : 500, responder.headers(decision), body);
        })
        .catch((error: unknown) => {
          options.log(`${formatAddress(socket)} rule check failed: ${String(error)}`);
          send(500, {}, { error: 'rule check failed' });
        });
    },
  );

  const capture = attach(server);
  capture.on('failure', (failure: CaptureFailure) => {
    options.log(
      `${failure.remoteAddress ?? '-'} capture ${failure.kind}${failure.code ? ` ${failure.code}` : ''}: ${failure.message}`,
    );
  });
  server.on('close', () => {
    void guard.close();
  });
  return { server, capture, guard };
}

function formatAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? '-';
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}:${socket.remotePort ?? '-'}`;
}
