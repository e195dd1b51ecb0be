import { type GuardRule, ja4guard } from '@ja4guard/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
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
  /** Fastify's pino logger; default on. */
  logger?: boolean;
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

/** Builds the app: `/` returns the client's fingerprint, `/health` is exempt from the rules. */
export async function buildApp(options: ExampleOptions): Promise<FastifyInstance> {
  const app = Fastify({ https: options.certificate, logger: options.logger ?? true });
  await app.register(ja4guard, { rules: exampleRules(options) });

  app.get('/', async (request) => {
    const fingerprint = request.tlsFingerprint;
    return {
      ja4: request.ja4,
      ja4_r: fingerprint?.ja4_r ?? null,
      ja3: fingerprint?.ja3 ?? null,
      source: fingerprint?.source ?? null,
      ip: request.ip,
    };
  });
  app.get('/health', { config: { ja4guard: false } }, async () => ({ ok: true }));
  return app;
}
