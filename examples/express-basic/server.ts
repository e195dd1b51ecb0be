import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadOrCreateCertificate } from '../demo/certificate.js';
import { buildServer } from './app.js';
import { readSettings } from './settings.js';

const settings = readSettings(process.env);
if (typeof settings === 'string') {
  console.error(settings);
  process.exit(2);
}
const certificateDirectory =
  process.env.JA4GUARD_CERT_DIR ?? fileURLToPath(new URL('../../.certs/', import.meta.url));

const logger = pino();
const { server, guard } = buildServer({
  certificate: await loadOrCreateCertificate(certificateDirectory),
  block: settings.block,
  rateLimit: settings.rateLimit,
  logger,
});
await guard.ready();

server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(`Could not start the server: ${error.message}`);
  process.exit(1);
});
server.listen(settings.port, settings.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : settings.port;
  console.log(`express-basic listening on https://${settings.host}:${port}/`);
  console.log(`Try: curl -sk https://localhost:${port}/`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
