// New-connection throughput: each client connection does a full TLS handshake
// and one request, then closes. Servers run in child processes; plain and
// capture rounds alternate so that drift on the machine affects both alike.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:tls';
import { median } from './lib/stats.mjs';

const SERVER = new URL('./servers/https-server.mjs', import.meta.url);
const REQUEST = 'GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n';

async function startServer(mode, certificate) {
  const child = fork(SERVER, [mode], {
    env: { ...process.env, BENCH_KEY: certificate.key, BENCH_CERT: certificate.cert },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [{ port }] = await once(child, 'message');
  return {
    port,
    async cpuMicros() {
      child.send('cpu');
      const [{ cpuMicros }] = await once(child, 'message');
      return cpuMicros;
    },
    async stop() {
      child.send('stop');
      await once(child, 'exit');
    },
  };
}

function oneConnection(port) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    socket.on('secureConnect', () => socket.end(REQUEST));
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', resolve);
  });
}

/** Opens connections from `concurrency` loops for `durationMs`; returns the count. */
async function load(port, concurrency, durationMs) {
  const deadline = performance.now() + durationMs;
  let completed = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      await oneConnection(port);
      completed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return completed;
}

async function measure(server, concurrency, durationMs) {
  const cpuBefore = await server.cpuMicros();
  const started = performance.now();
  const connections = await load(server.port, concurrency, durationMs);
  const elapsedMs = performance.now() - started;
  const cpuMicros = (await server.cpuMicros()) - cpuBefore;
  return {
    connectionsPerSecond: (connections * 1000) / elapsedMs,
    serverCpuMicrosPerConnection: cpuMicros / connections,
  };
}

/**
 * Runs alternating rounds on each mode and returns, per mode, the median
 * connections per second and server CPU microseconds per connection.
 */
export async function benchConnections(certificate, { modes, rounds, durationMs, concurrency }) {
  const servers = {};
  for (const mode of modes) servers[mode] = await startServer(mode, certificate);
  const samples = Object.fromEntries(modes.map((mode) => [mode, []]));
  try {
    for (const mode of modes) await load(servers[mode].port, concurrency, 500);
    for (let round = 0; round < rounds; round++) {
      for (const mode of modes)
        samples[mode].push(await measure(servers[mode], concurrency, durationMs));
    }
  } finally {
    for (const mode of modes) await servers[mode].stop();
  }
  return Object.fromEntries(
    modes.map((mode) => [
      mode,
      {
        connectionsPerSecond: median(samples[mode].map((s) => s.connectionsPerSecond)),
        serverCpuMicrosPerConnection: median(
          samples[mode].map((s) => s.serverCpuMicrosPerConnection),
        ),
      },
    ]),
  );
}
