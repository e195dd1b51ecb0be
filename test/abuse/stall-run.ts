// Child process of stall.test.ts: opens many clients
// that send half a ClientHello and stall, probes the server with normal
// requests while they wait, and prints one JSON line with the figures.
//
//   node --expose-gc --conditions=@ja4guard/source --import tsx test/abuse/stall-run.ts \
//     --server https|http2 --clients 1000 --hello-timeout-ms 1500 --probes 5

import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { attach, type CaptureStats } from '@ja4guard/core';
import { testCertificate } from '../helpers/certificate.js';
import { close, listen, waitFor } from '../helpers/net.js';
import {
  connectRaw,
  type HeapSample,
  integerArg,
  openFileLimit,
  parseNamedArgs,
  type RawClient,
  recordBytes,
  runBounded,
  sampleHeap,
  type TimedResponse,
  tcpHellos,
  timedHttp2Get,
  timedHttpsGet,
  withTimeout,
} from './support.js';

/** Stall clients that may be connecting at once. Each waits until the server has accepted it. */
const OPEN_CONCURRENCY = 100;
/** Stall clients of the warm-up round, which runs every code path once before the first heap sample. */
const WARM_UP_CLIENTS = 20;

export interface StallReport {
  server: 'https' | 'http2';
  clients: number;
  helloTimeoutMs: number;
  /** Time to connect all stall clients and send their half hellos. */
  openMs: number;
  /** Highest `stats().pending` seen while the stall clients were waiting. */
  pendingPeak: number;
  /** Per stall client, time from the server's 'connection' event to the server socket's 'close'. */
  serverOpenMs: number[];
  /** Per stall client, time from its 'connect' event to its 'close'. */
  clientOpenMs: number[];
  /** Stall clients that saw an error other than a reset by the server. */
  clientErrors: string[];
  /** Requests made while the stall clients were waiting, in order. */
  probes: TimedResponse[];
  /** Requests that ended before the first stall client was closed. */
  probesBeforeDeadline: number;
  /** Counters after the warm-up round, when the heap is first sampled. */
  statsBefore: CaptureStats;
  /** Counters after every stall client was closed. */
  statsAfter: CaptureStats;
  heapBefore: HeapSample;
  heapAfter: HeapSample;
  /** Where `@ja4guard/core` was loaded from, to show that the run used the sources. */
  coreModule: string;
  /** Open-file limit of this process: Node raises its soft limit to the hard limit at startup. */
  openFileLimit: string;
}

/** Client ports that the server has accepted, and the clients waiting for theirs. */
class PortWaiters {
  readonly #seen = new Set<number>();
  readonly #waiting = new Map<number, () => void>();

  add(port: number): void {
    this.#seen.add(port);
    this.#waiting.get(port)?.();
    this.#waiting.delete(port);
  }

  wait(port: number): Promise<void> {
    if (this.#seen.has(port)) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.set(port, resolve));
  }

  clear(): void {
    this.#seen.clear();
    this.#waiting.clear();
  }
}

async function main(): Promise<void> {
  const args = parseNamedArgs(process.argv.slice(2));
  const serverKind = args.get('server') ?? 'https';
  if (serverKind !== 'https' && serverKind !== 'http2') {
    throw new Error(`Invalid --server ${serverKind}: expected https or http2.`);
  }
  const clients = integerArg(args, 'clients', 1_000);
  const helloTimeoutMs = integerArg(args, 'hello-timeout-ms', 1_500);
  const probeCount = integerArg(args, 'probes', 5);

  const certificate = await testCertificate();
  const handler = (_request: unknown, response: { end: (body: string) => void }) => {
    response.end('ok');
  };
  const server =
    serverKind === 'https'
      ? https.createServer(certificate, handler)
      : http2.createSecureServer({ ...certificate, allowHTTP1: false }, handler);
  const capture = attach(server, { helloTimeoutMs });
  const port = await listen(server);
  const get = serverKind === 'https' ? timedHttpsGet : timedHttp2Get;

  // Server-side open time of every connection, keyed by the client's port.
  const serverOpenByPort = new Map<number, number>();
  const accepted = new PortWaiters();
  server.on('connection', (socket: Socket) => {
    const started = performance.now();
    const clientPort = socket.remotePort!;
    accepted.add(clientPort);
    socket.once('close', () => {
      serverOpenByPort.set(clientPort, performance.now() - started);
    });
  });

  const hellos = tcpHellos().map(recordBytes);
  const stall = async (count: number) => {
    const opened: Array<{ client: RawClient; connectedAt: number; localPort: number }> = [];
    const started = performance.now();
    await runBounded(count, OPEN_CONCURRENCY, async (index) => {
      const client = await connectRaw(port);
      const connectedAt = performance.now();
      const localPort = client.socket.localPort!;
      const hello = hellos[index % hellos.length]!;
      client.socket.write(hello.subarray(0, hello.length >> 1));
      opened.push({ client, connectedAt, localPort });
      // A client connects as soon as the kernel completes the handshake, before the server
      // accepts. Waiting for the accept keeps the listen queue short, so no SYN is dropped.
      await accepted.wait(localPort);
    });
    return { opened, openMs: performance.now() - started };
  };

  // Warm-up: one small stall round and a few requests, then forget their timings.
  const warmUp = await stall(WARM_UP_CLIENTS);
  for (let i = 0; i < 3; i++) await get(port);
  await withTimeout(
    Promise.all(warmUp.opened.map(({ client }) => client.closed)),
    helloTimeoutMs + 5_000,
    'warm-up stall clients were not closed',
  );
  await waitFor(() => capture.stats().pending === 0, helloTimeoutMs + 5_000);
  warmUp.opened.length = 0;
  serverOpenByPort.clear();
  accepted.clear();
  const statsBefore = capture.stats();
  const heapBefore = await sampleHeap();

  const { opened, openMs } = await stall(clients);
  const clientOpenMs: number[] = [];
  const clientErrors: string[] = [];
  let firstStallClosed = false;
  const allClosed = Promise.all(
    opened.map(async ({ client, connectedAt }) => {
      await client.closed;
      firstStallClosed = true;
      clientOpenMs.push(performance.now() - connectedAt);
      for (const error of client.errors) {
        if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET')
          clientErrors.push(error.message);
      }
    }),
  );

  let pendingPeak = 0;
  const pendingSampler = setInterval(() => {
    pendingPeak = Math.max(pendingPeak, capture.stats().pending);
  }, 5);
  const probes: TimedResponse[] = [];
  let probesBeforeDeadline = 0;
  for (let i = 0; i < probeCount; i++) {
    const probe = await get(port);
    probes.push(probe);
    if (!firstStallClosed) probesBeforeDeadline++;
  }
  await withTimeout(
    allClosed,
    helloTimeoutMs + 10_000,
    'not every stall client was closed after the deadline',
  );
  clearInterval(pendingSampler);
  await waitFor(() => capture.stats().pending === 0, 5_000);
  await waitFor(() => opened.every(({ localPort }) => serverOpenByPort.has(localPort)), 5_000);
  const serverOpenMs = opened.map(({ localPort }) => serverOpenByPort.get(localPort)!);
  // Drop the test's own references to the closed sockets before the heap is sampled.
  opened.length = 0;
  serverOpenByPort.clear();
  accepted.clear();

  const statsAfter = capture.stats();
  const heapAfter = await sampleHeap();
  await close(server);

  const report: StallReport = {
    server: serverKind,
    clients,
    helloTimeoutMs,
    openMs,
    pendingPeak,
    serverOpenMs,
    clientOpenMs,
    clientErrors,
    probes,
    probesBeforeDeadline,
    statsBefore,
    statsAfter,
    heapBefore,
    heapAfter,
    coreModule: import.meta.resolve('@ja4guard/core'),
    openFileLimit: openFileLimit(),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
