// Child process of soak.test.ts: runs many short connections through one
// capture, samples the heap after full garbage collections at a checkpoint and
// at the end, and prints one JSON line with the figures.
//
//   node --expose-gc --conditions=@ja4guard/source --import tsx test/abuse/soak-run.ts \
//     --connections 100000 --checkpoint 10000 --concurrency 32
//
// Connection i does one of four things, chosen by i modulo 100:
//   0               a full HTTPS GET
//   5, 15, ..., 95  plain HTTP bytes, which the capture hands to Node's TLS
//   7 and 57        nothing: it connects and closes
//   any other       a corpus ClientHello, which onClientHello drops

import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { attach, type CaptureStats } from '@ja4guard/core';
import { testCertificate } from '../helpers/certificate.js';
import { close, listen, waitFor } from '../helpers/net.js';
import {
  connectRaw,
  type HeapSample,
  integerArg,
  openFileLimit,
  parseNamedArgs,
  recordBytes,
  runBounded,
  sampleHeap,
  tcpHellos,
  timedHttpsGet,
  withTimeout,
} from './support.js';

/** Connections run before the first heap sample, so lazily built state exists in every sample. */
const WARM_UP_CONNECTIONS = 1_000;
const CONNECTION_TIMEOUT_MS = 10_000;

type ConnectionKind = 'https' | 'plain-http' | 'empty' | 'dropped-hello';

function connectionKind(index: number): ConnectionKind {
  const slot = index % 100;
  if (slot === 0) return 'https';
  if (slot % 10 === 5) return 'plain-http';
  if (slot === 7 || slot === 57) return 'empty';
  return 'dropped-hello';
}

/** Server-side figures at one point of the run. */
export interface SoakSample {
  connections: number;
  elapsedMs: number;
  heap: HeapSample;
  serverListeners: Record<string, number>;
  stats: CaptureStats;
}

export interface SoakReport {
  connections: number;
  checkpoint: number;
  concurrency: number;
  kinds: Record<ConnectionKind, number>;
  warmUp: SoakSample;
  atCheckpoint: SoakSample;
  atEnd: SoakSample;
  /** Distinct listener counts of the raw socket seen by onClientHello, as "data/error/end/close". */
  hookSocketListeners: string[];
  /** Distinct listener counts of the TLS socket seen by the request handler. */
  requestSocketListeners: string[];
  /** HTTPS GETs that did not end with status 200, as "index: status or error". */
  httpsFailures: string[];
  failureEvents: number;
  /** Open-file limit of this process: Node raises its soft limit to the hard limit at startup. */
  openFileLimit: string;
}

function listenerSignature(socket: Socket): string {
  return ['data', 'error', 'end', 'close'].map((name) => socket.listenerCount(name)).join('/');
}

async function main(): Promise<void> {
  const args = parseNamedArgs(process.argv.slice(2));
  const connections = integerArg(args, 'connections', 20_000);
  const checkpoint = integerArg(args, 'checkpoint', 10_000);
  const concurrency = integerArg(args, 'concurrency', 32);
  if (checkpoint >= connections) {
    throw new Error(`Invalid --checkpoint ${checkpoint}: expected less than --connections.`);
  }

  const hellos = tcpHellos().filter((row) => (row.extraction?.nrecords ?? 1) === 1);
  const helloBytes = hellos.map(recordBytes);
  const droppedJa4 = new Set(hellos.map((row) => row.expected.ja4!));

  const hookSocketListeners = new Set<string>();
  const requestSocketListeners = new Set<string>();
  const certificate = await testCertificate();
  const server = https.createServer(certificate, (request, response) => {
    requestSocketListeners.add(listenerSignature(request.socket as TLSSocket));
    response.end('ok');
  });
  const capture = attach(server, {
    helloTimeoutMs: CONNECTION_TIMEOUT_MS,
    onClientHello: (event, socket) => {
      hookSocketListeners.add(listenerSignature(socket));
      return droppedJa4.has(event.fingerprint.ja4) ? 'drop' : 'accept';
    },
  });
  let failureEvents = 0;
  capture.on('failure', () => {
    failureEvents++;
  });
  const port = await listen(server);

  const kinds: Record<ConnectionKind, number> = {
    https: 0,
    'plain-http': 0,
    empty: 0,
    'dropped-hello': 0,
  };
  const httpsFailures: string[] = [];

  const runOne = async (index: number): Promise<void> => {
    const kind = connectionKind(index);
    kinds[kind]++;
    if (kind === 'https') {
      try {
        const response = await timedHttpsGet(port, CONNECTION_TIMEOUT_MS);
        if (response.status !== 200) httpsFailures.push(`${index}: status ${response.status}`);
      } catch (error) {
        httpsFailures.push(`${index}: ${(error as Error).message}`);
      }
      return;
    }
    const client = await connectRaw(port);
    if (kind === 'plain-http') client.socket.end('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    else if (kind === 'empty') client.socket.end();
    else client.socket.end(helloBytes[index % helloBytes.length]!);
    await withTimeout(client.closed, CONNECTION_TIMEOUT_MS, `connection ${index} (${kind})`);
  };

  let openServerConnections = 0;
  server.on('connection', (socket: Socket) => {
    openServerConnections++;
    socket.once('close', () => {
      openServerConnections--;
    });
  });

  const started = performance.now();
  const sample = async (done: number): Promise<SoakSample> => {
    // Every connection must be finished on the server side too, so only retained memory is left.
    await waitFor(() => capture.stats().pending === 0, CONNECTION_TIMEOUT_MS);
    await waitFor(() => openServerConnections === 0, CONNECTION_TIMEOUT_MS);
    const elapsedMs = performance.now() - started;
    return {
      connections: done,
      elapsedMs,
      heap: await sampleHeap(),
      serverListeners: Object.fromEntries(
        ['connection', 'secureConnection', 'tlsClientError', 'request', 'error'].map((name) => [
          name,
          server.listenerCount(name),
        ]),
      ),
      stats: capture.stats(),
    };
  };
  // The warm-up uses indices past the run, so every kind occurs in it as in the run.
  await runBounded(WARM_UP_CONNECTIONS, concurrency, (i) => runOne(connections + i));
  const warmUp = await sample(0);
  for (const kind of Object.keys(kinds) as ConnectionKind[]) kinds[kind] = 0;

  await runBounded(checkpoint, concurrency, runOne);
  const atCheckpoint = await sample(checkpoint);
  await runBounded(connections - checkpoint, concurrency, (i) => runOne(checkpoint + i));
  const atEnd = await sample(connections);
  await close(server);

  const report: SoakReport = {
    connections,
    checkpoint,
    concurrency,
    kinds,
    warmUp,
    atCheckpoint,
    atEnd,
    hookSocketListeners: [...hookSocketListeners],
    requestSocketListeners: [...requestSocketListeners],
    httpsFailures,
    failureEvents,
    openFileLimit: openFileLimit(),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
