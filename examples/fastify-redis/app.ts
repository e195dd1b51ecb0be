import { type GuardRule, ja4guard, redisStore } from '@ja4guard/fastify';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { KeyPair } from '../demo/certificate.js';

/**
 * Prefix of every Redis key and channel of this example, so it leaves other
 * data alone. Instances and the blocklist script must use the same one.
 */
export const KEY_PREFIX = process.env.KEY_PREFIX ?? 'ja4guard-example:';

export interface InstanceOptions {
  /** Shown in responses, so you can tell the instances apart. */
  name: string;
  certificate: KeyPair;
  /** This instance's own Redis client, made with enableOfflineQueue: false. */
  redis: Redis;
  /** Fastify's pino logger; default on. */
  logger?: boolean;
}

/** One rate limit shared by every instance: 20 requests per 10 s per JA4 and client IP. */
export const RULES: GuardRule[] = [
  {
    name: 'per-client',
    action: 'rateLimit',
    rateLimit: { points: 20, duration: 10, key: 'ja4+ip' },
  },
];

interface BanBody {
  ja4?: unknown;
  ttlSeconds?: unknown;
}

/**
 * Builds one instance. `/` returns the fingerprint and the instance name.
 * `/admin/blocklist` (GET lists, POST adds, DELETE removes) serves only
 * loopback clients. Its writes go to Redis, so every instance applies them.
 */
export async function buildInstance(options: InstanceOptions): Promise<FastifyInstance> {
  const app = Fastify({ https: options.certificate, logger: options.logger ?? true });
  await app.register(ja4guard, {
    rules: RULES,
    store: redisStore(options.redis),
    keyPrefix: KEY_PREFIX,
  });
  const blocklist = app.ja4guard.guard!.blocklist;

  app.get('/', async (request) => ({ instance: options.name, ja4: request.ja4, ip: request.ip }));

  const admin = { config: { ja4guard: false as const }, onRequest: loopbackOnly };
  app.get('/admin/blocklist', admin, async () => blocklist.list());
  app.post<{ Body: BanBody }>('/admin/blocklist', admin, async (request, reply) => {
    const { ja4, ttlSeconds } = request.body ?? {};
    if (typeof ja4 !== 'string' || (ttlSeconds !== undefined && typeof ttlSeconds !== 'number')) {
      return reply
        .code(400)
        .send({ error: 'Send JSON { "ja4": "<JA4 or pattern>", "ttlSeconds": 60 }.' });
    }
    await blocklist.add(ja4, { ttlSeconds, reason: `admin route of ${options.name}` });
    return reply.code(201).send({ added: ja4, by: options.name });
  });
  app.delete<{ Body: BanBody }>('/admin/blocklist', admin, async (request, reply) => {
    const ja4 = request.body?.ja4;
    if (typeof ja4 !== 'string') {
      return reply.code(400).send({ error: 'Send JSON { "ja4": "<JA4 or pattern>" }.' });
    }
    return { removed: await blocklist.remove(ja4), by: options.name };
  });
  return app;
}

async function loopbackOnly(request: FastifyRequest): Promise<void> {
  if (request.ip !== '127.0.0.1' && request.ip !== '::1') {
    const error = new Error(
      'The admin routes serve loopback clients only; send the request from the server host.',
    ) as Error & {
      statusCode: number;
    };
    error.statusCode = 403;
    throw error;
  }
}
