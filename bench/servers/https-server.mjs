// Benchmark server, run in its own process so its CPU time can be read alone.
// Mode `plain`: a plain https.Server. `capture`: the same with ja4guard's
// capture attached. `drop`: capture with a hook that drops every connection
// before the TLS handshake.
import { createServer } from 'node:https';
import { attach } from '@ja4guard/core';

const mode = process.argv[2];
const server = createServer(
  { key: process.env.BENCH_KEY, cert: process.env.BENCH_CERT },
  (_request, response) => {
    response.end('ok');
  },
);
if (mode === 'capture') attach(server);
else if (mode === 'drop') attach(server, { onClientHello: () => 'drop' });
else if (mode !== 'plain') throw new Error(`unknown server mode ${mode}`);

server.on('tlsClientError', () => {});
server.listen(0, '127.0.0.1', () => {
  process.send({ port: server.address().port });
});

process.on('message', (message) => {
  if (message === 'cpu') {
    const usage = process.cpuUsage();
    process.send({ cpuMicros: usage.user + usage.system });
  } else if (message === 'stop') {
    server.close();
    process.exit(0);
  }
});
