import { fileURLToPath } from 'node:url';
import { loadOrCreateCertificate } from '../demo/certificate.js';
import { buildApp } from './app.js';

const port = Number(process.env.APP_PORT ?? 9443);
const trustedBalancers = (process.env.TRUSTED_BALANCERS ?? '127.0.0.1')
  .split(',')
  .map((value) => value.trim());
const certificate = await loadOrCreateCertificate(
  fileURLToPath(new URL('../../.certs/', import.meta.url)),
);

const app = await buildApp({ ...certificate, trustedBalancers });
await app.listen({ port, host: '127.0.0.1' });
app.log.info(
  `Start HAProxy with: HAPROXY_PORT=8443 APP_PORT=${port} haproxy -f haproxy-passthrough.cfg -db`,
);
