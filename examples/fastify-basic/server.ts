import { fileURLToPath } from 'node:url';
import { loadOrCreateCertificate } from '../demo/certificate.js';
import { buildApp } from './app.js';
import { readSettings } from './settings.js';

const settings = readSettings(process.env);
if (typeof settings === 'string') {
  console.error(settings);
  process.exit(2);
}
const certificateDirectory =
  process.env.JA4GUARD_CERT_DIR ?? fileURLToPath(new URL('../../.certs/', import.meta.url));

const app = await buildApp({
  certificate: await loadOrCreateCertificate(certificateDirectory),
  block: settings.block,
  rateLimit: settings.rateLimit,
});
try {
  await app.listen({ port: settings.port, host: settings.host });
} catch (error) {
  console.error(`Could not start the server: ${(error as Error).message}`);
  process.exit(1);
}

const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : settings.port;
console.log(`fastify-basic listening on https://${settings.host}:${port}/`);
console.log(`Try: curl -sk https://localhost:${port}/`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
