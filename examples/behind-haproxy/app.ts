import { getProxiedClient } from '@ja4guard/core';
import { ja4guard } from '@ja4guard/fastify';
import Fastify, { type FastifyInstance } from 'fastify';

export interface AppOptions {
  key: string;
  cert: string;
  /** Addresses or CIDR ranges of the balancers that send PROXY headers. */
  trustedBalancers: string[];
  /** Fastify's pino logger; default on. */
  logger?: boolean;
}

/**
 * Builds the app for the TLS passthrough setup: HAProxy forwards raw TCP with
 * a PROXY protocol v2 header, Node terminates TLS and reads the ClientHello.
 * `request.ip` is the client's address from the header, not HAProxy's.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    https: { key: options.key, cert: options.cert },
    logger: options.logger ?? true,
  });
  await app.register(ja4guard, {
    capture: { proxyProtocol: { trustedSources: options.trustedBalancers } },
  });
  app.get('/', async (request) => ({
    ip: request.ip,
    ja4: request.ja4,
    balancer: getProxiedClient(request.raw.socket)?.proxy.address ?? null,
  }));
  return app;
}
