import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDemo, type DemoRateLimit } from './app.js';
import { loadOrCreateCertificate } from './certificate.js';

const USAGE = `Usage: pnpm demo [--block JA4]... [--rate-limit POINTS/SECONDS | --rate-limit off]

  --block JA4        answer requests with this JA4 (or pattern, e.g. 't13d*') with 403;
                     repeatable; also JA4GUARD_BLOCK, comma-separated
  --rate-limit N/S   allow N requests per S seconds per JA4 and client IP, then 429;
                     'off' disables it; also JA4GUARD_RATE_LIMIT; default 30/60
Environment: PORT (default 8443), HOST (default 127.0.0.1), JA4GUARD_CERT_DIR.`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseRateLimit(text: string): DemoRateLimit | null {
  if (text === 'off') return null;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (match === null || Number(match[1]) < 1 || Number(match[2]) < 1) {
    fail(
      `Invalid rate limit ${JSON.stringify(text)}: expected POINTS/SECONDS such as 10/60, or off.`,
    );
  }
  return { points: Number(match[1]), durationSeconds: Number(match[2]) };
}

let values: { block?: string[]; 'rate-limit'?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      block: { type: 'string', multiple: true },
      'rate-limit': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help === true) {
  console.log(USAGE);
  process.exit(0);
}

const port = Number(process.env.PORT ?? 8443);
const host = process.env.HOST ?? '127.0.0.1';
const certificateDirectory =
  process.env.JA4GUARD_CERT_DIR ?? fileURLToPath(new URL('../../.certs/', import.meta.url));
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  fail(`Invalid PORT ${process.env.PORT}: expected an integer from 0 to 65535.`);
}
const block = [
  ...(values.block ?? []),
  ...(process.env.JA4GUARD_BLOCK ?? '').split(',').map((value) => value.trim()),
].filter((value) => value !== '');
const rateLimit = parseRateLimit(
  values['rate-limit'] ?? process.env.JA4GUARD_RATE_LIMIT ?? '30/60',
);

const certificate = await loadOrCreateCertificate(certificateDirectory);
let demo: ReturnType<typeof createDemo>;
try {
  demo = createDemo({
    certificate,
    block,
    rateLimit,
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  });
} catch (error) {
  fail((error as Error).message);
}
const { server } = demo;

server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(`Demo server failed: ${error.message}`);
  process.exit(1);
});

server.listen(port, host, () => {
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  console.log(
    `ja4guard demo listening on https://${host === '::' ? 'localhost' : host}:${actualPort}/`,
  );
  console.log(
    `Rules: ${block.length} blocked fingerprint(s); ${rateLimit === null ? 'no rate limit' : `${rateLimit.points} requests per ${rateLimit.durationSeconds} s per JA4 and IP`}`,
  );
  console.log(`Try: curl -sk https://localhost:${actualPort}/`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
