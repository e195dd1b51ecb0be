import * as https from 'node:https';
import {
  attachCapture,
  type GuardRule,
  type Ja4guardMiddleware,
  ja4guard,
} from '@ja4guard/express';
import express from 'express';
import type { Logger } from 'pino';
import type { KeyPair } from '../demo/certificate.js';

/** Requests allowed per JA4 and client IP in one window. */
export interface RateLimitSetting {
  points: number;
  durationSeconds: number;
}

export interface ExampleOptions {
  certificate: KeyPair;
  /** JA4 values or patterns (`t13d*_8daaf6152771_*`) to block with 403. */
  block: readonly string[];
  rateLimit: RateLimitSetting;
  logger: Logger;
}

/** Builds the rules: a block list by JA4, then one rate limit keyed on JA4 plus client IP. */
export function exampleRules(options: Pick<ExampleOptions, 'block' | 'rateLimit'>): GuardRule[] {
  const rules: GuardRule[] = [];
  if (options.block.length > 0) {
    rules.push({ name: 'blocked-ja4', match: { ja4: options.block }, action: 'block' });
  }
  rules.push({
    name: 'per-client',
    action: 'rateLimit',
    rateLimit: {
      points: options.rateLimit.points,
      duration: options.rateLimit.durationSeconds,
      // Every user of one browser shares a JA4, so the IP is part of the key.
      key: 'ja4+ip',
    },
  });
  return rules;
}

/**
 * Builds the HTTPS server: `/health` responds before the guard runs, and `/`
 * returns the client's fingerprint. The guard is passed to `attachCapture`,
 * so blocked fingerprints are dropped before the TLS handshake.
 */
export function buildServer(options: ExampleOptions): {
  server: https.Server;
  guard: Ja4guardMiddleware;
} {
  const guard = ja4guard({ rules: exampleRules(options), logger: options.logger });
  const app = express();
  // Routes added before the middleware are not guarded.
  app.get('/health', (_request, response) => {
    response.json({ ok: true });
  });
  app.use(guard);
  app.get('/', (request, response) => {
    const fingerprint = request.tlsFingerprint;
    response.json({
      ja4: request.ja4,
      ja4_r: fingerprint?.ja4_r ?? null,
      ja3: fingerprint?.ja3 ?? null,
      source: fingerprint?.source ?? null,
      ip: request.ip,
    });
  });

  const server = https.createServer(options.certificate, app);
  attachCapture(server, { guard: guard.guard, logger: options.logger });
  return { server, guard };
}
