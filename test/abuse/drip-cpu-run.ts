// Measures the CPU time a capture server spends on clients that send a large
// ClientHello in many small chunks. Not a test: it prints figures only.
//
//   node --conditions=@ja4guard/source --import tsx test/abuse/drip-cpu-run.ts \
//     --clients 20 --chunk-bytes 6
//
// The clients run in a forked child, so the CPU time printed is the server's
// alone. Each client sends a 60,000-byte hello in 16 KiB records, one chunk
// per millisecond, then closes. The hello's body is zeros, so the capture
// reports it as malformed once it is complete.

import { fork } from 'node:child_process';
import { once } from 'node:events';
import * as https from 'node:https';
import { fileURLToPath } from 'node:url';
import { attach } from '@ja4guard/core';
import { testCertificate } from '../helpers/certificate.js';
import { close, delay, listen } from '../helpers/net.js';
import { connectRaw, integerArg, parseNamedArgs, runBounded, withTimeout } from './support.js';

const HELLO_BYTES = 60_000;
const CLIENT_TIMEOUT_MS = 120_000;

function largeHello(): Buffer {
  const message = Buffer.alloc(HELLO_BYTES - 4 * 5);
  message.writeUInt8(0x01, 0);
  message.writeUIntBE(message.length - 4, 1, 3);
  const records: Buffer[] = [];
  for (let start = 0; start < message.length; start += 16_384) {
    const fragment = message.subarray(start, start + 16_384);
    const header = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00]);
    header.writeUInt16BE(fragment.length, 3);
    records.push(header, fragment);
  }
  return Buffer.concat(records);
}

async function runClients(port: number, clients: number, chunkBytes: number): Promise<void> {
  const bytes = largeHello();
  await runBounded(clients, clients, async () => {
    const client = await connectRaw(port);
    client.socket.setNoDelay(true);
    for (let start = 0; start < bytes.length && !client.socket.destroyed; start += chunkBytes) {
      client.socket.write(bytes.subarray(start, start + chunkBytes));
      await delay(1);
    }
    client.socket.end();
    await withTimeout(client.closed, CLIENT_TIMEOUT_MS, 'dribbling client was not closed');
  });
}

async function runServer(clients: number, chunkBytes: number): Promise<void> {
  const certificate = await testCertificate();
  const server = https.createServer(certificate, (_request, response) => response.end());
  const capture = attach(server, { helloTimeoutMs: CLIENT_TIMEOUT_MS });
  const port = await listen(server);

  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const child = fork(
    fileURLToPath(import.meta.url),
    [
      '--role',
      'client',
      '--port',
      String(port),
      '--clients',
      String(clients),
      '--chunk-bytes',
      String(chunkBytes),
    ],
    { execArgv: ['--conditions=@ja4guard/source', '--import', 'tsx'] },
  );
  const [code] = (await once(child, 'exit')) as [number | null];
  const cpu = process.cpuUsage(cpuBefore);
  await close(server);
  if (code !== 0) throw new Error(`client process exited with ${code}`);
  const report = {
    clients,
    chunkBytes,
    helloBytes: HELLO_BYTES,
    wallMs: Math.round(performance.now() - started),
    serverCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    stats: capture.stats(),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

const args = parseNamedArgs(process.argv.slice(2));
const clients = integerArg(args, 'clients', 20);
const chunkBytes = integerArg(args, 'chunk-bytes', 6);
if (args.get('role') === 'client') {
  await runClients(integerArg(args, 'port', 0), clients, chunkBytes);
} else {
  await runServer(clients, chunkBytes);
}
