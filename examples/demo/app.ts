import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import { attach, type Capture, type CaptureFailure, getCaptureResult } from '@ja4guard/core';
import type { KeyPair } from './certificate.js';

export interface DemoOptions {
  certificate: KeyPair;
  /** Receives one line per new connection and one per capture failure. */
  log: (line: string) => void;
}

export interface Demo {
  server: http2.Http2SecureServer;
  capture: Capture;
}

const kLogged = Symbol('connection logged');

/**
 * Builds the demo server: HTTPS with HTTP/2 and HTTP/1.1 (chosen by ALPN),
 * answering every request with the fingerprints of its TLS connection.
 */
export function createDemo(options: DemoOptions): Demo {
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
      const payload = `${JSON.stringify(body, null, 2)}\n`;
      response.writeHead(fingerprint ? 200 : 500, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      });
      response.end(payload);
    },
  );

  const capture = attach(server);
  capture.on('failure', (failure: CaptureFailure) => {
    options.log(
      `${failure.remoteAddress ?? '-'} capture ${failure.kind}${failure.code ? ` ${failure.code}` : ''}: ${failure.message}`,
    );
  });
  return { server, capture };
}

function formatAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? '-';
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}:${socket.remotePort ?? '-'}`;
}
