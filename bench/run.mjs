// `pnpm bench`: every figure is printed next to its baseline from the same run.
import { cpus } from 'node:os';
import { generate } from 'selfsigned';
import { benchConnections } from './connections.mjs';
import { percent } from './lib/stats.mjs';
import { benchParse } from './parse.mjs';
import { benchRequests } from './requests.mjs';

const quick = process.argv.includes('--quick');

function line(label, value) {
  console.log(`  ${label.padEnd(58)} ${value}`);
}

console.log(
  `ja4guard benchmark: Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}`,
);

console.log('\nParse + JA4 of a Chrome-like ClientHello');
const parse = await benchParse();
line('hello size', `${parse.helloBytes} bytes, JA4 ${parse.ja4}`);
line(
  'ja4guard fingerprint(): median per hello',
  `${(parse.ja4guardNs / 1000).toFixed(2)} µs (target <= 2 µs)`,
);
line(
  'read-tls-client-hello read + calculateJa4: median',
  `${(parse.referenceNs / 1000).toFixed(2)} µs`,
);
line('read-tls-client-hello JA4 for the same hello', parse.referenceJa4);
line(
  'speed-up over read-tls-client-hello',
  `${(parse.referenceNs / parse.ja4guardNs).toFixed(0)} x`,
);

async function makeCertificate(keyType) {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType,
    curve: 'P-256',
    keySize: 2048,
    algorithm: 'sha256',
  });
  return { key: pems.private, cert: pems.cert };
}
const certificate = await makeCertificate('ec');
const rsaCertificate = await makeCertificate('rsa');

console.log('\nNew TLS connections (handshake + one request each), plain https.Server vs capture');
const connections = await benchConnections(certificate, {
  modes: ['plain', 'capture', 'drop'],
  rounds: quick ? 2 : 5,
  durationMs: quick ? 1_000 : 3_000,
  concurrency: 16,
});
const { plain, capture, drop } = connections;
line('plain: connections/s', plain.connectionsPerSecond.toFixed(0));
line('capture: connections/s', capture.connectionsPerSecond.toFixed(0));
line(
  'capture / plain throughput',
  `${percent(capture.connectionsPerSecond / plain.connectionsPerSecond)} (target >= 97 %)`,
);
line('plain: server CPU per connection', `${plain.serverCpuMicrosPerConnection.toFixed(0)} µs`);
line('capture: server CPU per connection', `${capture.serverCpuMicrosPerConnection.toFixed(0)} µs`);
line(
  'capture / plain server CPU per connection',
  percent(capture.serverCpuMicrosPerConnection / plain.serverCpuMicrosPerConnection),
);

console.log('\nConnections dropped before the handshake by onClientHello');
line('drop: server CPU per connection', `${drop.serverCpuMicrosPerConnection.toFixed(0)} µs`);
line(
  'handshake CPU / drop CPU, ECDSA P-256 certificate',
  `${(plain.serverCpuMicrosPerConnection / drop.serverCpuMicrosPerConnection).toFixed(1)} x (target >= 10 x)`,
);
const rsa = await benchConnections(rsaCertificate, {
  modes: ['plain', 'drop'],
  rounds: quick ? 2 : 5,
  durationMs: quick ? 1_000 : 3_000,
  concurrency: 16,
});
line(
  'RSA-2048 certificate: plain server CPU per connection',
  `${rsa.plain.serverCpuMicrosPerConnection.toFixed(0)} µs`,
);
line(
  'handshake CPU / drop CPU, RSA-2048 certificate',
  `${(rsa.plain.serverCpuMicrosPerConnection / rsa.drop.serverCpuMicrosPerConnection).toFixed(1)} x (target >= 10 x)`,
);

console.log('\nKeep-alive HTTPS requests through Fastify (autocannon, 16 connections)');
const requests = await benchRequests(certificate, {
  modes: ['plain', 'capture', 'rules', 'blocklist', 'redis'],
  rounds: quick ? 2 : 5,
  durationSeconds: quick ? 2 : 4,
  connections: 16,
});
line('plain Fastify: requests/s', requests.plain.toFixed(0));
line(
  'plugin, fingerprint only / plain',
  `${percent(requests.capture / requests.plain)} (${requests.capture.toFixed(0)} requests/s)`,
);
line(
  'plugin, five in-memory rules / plain',
  `${percent(requests.rules / requests.plain)} (target >= 90 %)`,
);
line(
  'five rules + 100,000 blocklist entries / five rules',
  `${percent(requests.blocklist / requests.rules)} (target >= 90 %)`,
);
line('plugin, five rules on Redis / plain', percent(requests.redis / requests.plain));
