import type { RateLimitSetting } from './app.js';

/** Settings read from the environment. */
export interface Settings {
  port: number;
  host: string;
  block: string[];
  rateLimit: RateLimitSetting;
}

/**
 * Reads PORT (default 8443), HOST (default 127.0.0.1), BLOCK_JA4 (JA4 values
 * or patterns, separated by commas) and RATE_LIMIT (`points/seconds`,
 * default 10/10). Returns a message for the first invalid value.
 */
export function readSettings(environment: NodeJS.ProcessEnv): Settings | string {
  const port = Number(environment.PORT ?? 8443);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    return `Invalid PORT ${environment.PORT}: expected an integer from 0 to 65535.`;
  }
  const limit = /^(\d+)\/(\d+)$/.exec(environment.RATE_LIMIT ?? '10/10');
  if (limit === null || Number(limit[1]) < 1 || Number(limit[2]) < 1) {
    return `Invalid RATE_LIMIT ${environment.RATE_LIMIT}: expected points/seconds, for example 10/10.`;
  }
  const block = (environment.BLOCK_JA4 ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  return {
    port,
    host: environment.HOST ?? '127.0.0.1',
    block,
    rateLimit: { points: Number(limit[1]), durationSeconds: Number(limit[2]) },
  };
}
