import { fileURLToPath } from 'node:url';
import { createDemo } from './app.js';
import { loadOrCreateCertificate } from './certificate.js';

const port = Number(process.env.PORT ?? 8443);
const host = process.env.HOST ?? '127.0.0.1';
const certificateDirectory =
  process.env.JA4GUARD_CERT_DIR ?? fileURLToPath(new URL('../../.certs/', import.meta.url));

if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`Invalid PORT ${process.env.PORT}: expected an integer from 0 to 65535.`);
  process.exit(2);
}

const certificate = await loadOrCreateCertificate(certificateDirectory);
const { server } = createDemo({
  certificate,
  log: (line) => console.log(`${new Date().toISOString()} ${line}`),
});

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
  console.log(`Try: curl -sk https://localhost:${actualPort}/`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
