import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TestCertificate } from '../../../../test/helpers/certificate.js';
import { type Ja4guardPluginOptions, ja4guard } from '../../src/index.js';

/** One parsed pino line. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** pino's numeric levels. */
export const LEVEL = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** Returns a Fastify logger configuration that keeps every line in `lines`. */
export function recordLogs(level: keyof typeof LEVEL = 'info') {
  const lines: LogLine[] = [];
  const logger: FastifyServerOptions['logger'] = {
    level,
    stream: {
      write(line: string) {
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  };
  return { lines, logger };
}

/** Returns the lines whose message starts with `ja4guard`. */
export function guardLines(lines: readonly LogLine[]): LogLine[] {
  return lines.filter((line) => typeof line.msg === 'string' && line.msg.startsWith('ja4guard'));
}

/** Options of {@link startApp}. */
export interface StartOptions {
  certificate: TestCertificate | null;
  plugin?: Ja4guardPluginOptions;
  logger?: FastifyServerOptions['logger'];
  http2?: boolean;
  /** Adds routes after the plugin is registered. */
  routes?: (app: FastifyInstance) => void;
}

/**
 * Starts a Fastify app on 127.0.0.1 with the plugin and the routes the tests
 * read: `/` returns `request.ja4` and `/fingerprint` the whole fingerprint.
 * A null certificate starts plain HTTP. `apps` collects it for closing.
 */
export async function startApp(
  apps: Array<{ close(): PromiseLike<unknown> }>,
  options: StartOptions,
): Promise<{ app: FastifyInstance; port: number }> {
  const serverOptions = {
    logger: options.logger ?? false,
    ...(options.certificate === null ? {} : { https: options.certificate }),
    ...(options.http2 === true ? { http2: true } : {}),
  };
  // Fastify's overloads tie the server type to literal options; the tests read the app through its common type.
  const app = Fastify(serverOptions as FastifyServerOptions) as unknown as FastifyInstance;
  apps.push(app);
  await app.register(ja4guard, options.plugin ?? {});
  app.get('/', async (request) => request.ja4 ?? 'none');
  app.get('/fingerprint', async (request) => ({
    ja4: request.ja4,
    tlsFingerprint: request.tlsFingerprint,
  }));
  options.routes?.(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as AddressInfo).port };
}
