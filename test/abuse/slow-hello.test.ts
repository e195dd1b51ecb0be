// Clients that send their ClientHello one byte at a time, within the deadline,
// must still get the JA4 of the whole hello.

import { once } from 'node:events';
import * as https from 'node:https';
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from 'node:net';
import { createServer, fingerprint, getCapture, getFingerprint } from '@ja4guard/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestCertificate, testCertificate } from '../helpers/certificate.js';
import type { CorpusRow } from '../helpers/corpus.js';
import { close, delay, listen, waitFor } from '../helpers/net.js';
import { connectRaw, recordBytes, tcpHellos, withTimeout } from './support.js';

const HELLO_TIMEOUT_MS = 10_000;
/** Pause between two writes of a dribbling client. */
const BYTE_GAP_MS = 1;
const LARGE_HELLO_CLIENTS = 5;
const LARGE_HELLO_CHUNK = 64;

/** Corpus hellos sent byte by byte: single records of several sizes, and hellos split over records. */
const SLOW_IDS = [
  'tls-handshake.pcapng#tcp.stream=0',
  'https-connect.pcap#tcp.stream=0',
  'synthetic.pcap#grease-everywhere',
  'synthetic.pcap#fragmented-2-records',
  'synthetic.pcap#fragmented-3-records-tiny',
  'synthetic.pcap#multi-segment-tcp',
];

let certificate: TestCertificate;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  certificate = await testCertificate();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Writes `bytes` to `socket` one byte per write, pausing `BYTE_GAP_MS` between writes. */
async function writeByteByByte(socket: Socket, bytes: Uint8Array): Promise<void> {
  socket.setNoDelay(true);
  for (const byte of bytes) {
    if (socket.destroyed) return;
    socket.write(Buffer.of(byte));
    await delay(BYTE_GAP_MS);
  }
}

/**
 * A TCP relay on 127.0.0.1 that passes the client's first flight (its
 * ClientHello) to the server one byte at a time, and everything after the
 * server's first reply unchanged. Records the client's first flight.
 */
class DribblingRelay {
  readonly server = createTcpServer((client) => this.#relay(client));
  readonly firstFlights: Buffer[] = [];
  readonly #sockets = new Set<Socket>();
  #targetPort = 0;

  async listen(targetPort: number): Promise<number> {
    this.#targetPort = targetPort;
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const closed = once(this.server, 'close');
    this.server.close();
    await closed;
  }

  #relay(client: Socket): void {
    const upstream = connect(this.#targetPort, '127.0.0.1');
    upstream.setNoDelay(true);
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const index = this.firstFlights.push(Buffer.alloc(0)) - 1;
    let serverReplied = false;
    const queue: Buffer[] = [];
    let pumping = false;

    const pump = async () => {
      if (pumping) return;
      pumping = true;
      while (queue.length > 0 && !upstream.destroyed) {
        const chunk = queue.shift()!;
        if (serverReplied) upstream.write(chunk);
        else await writeByteByByte(upstream, chunk);
      }
      pumping = false;
    };

    client.on('data', (chunk: Buffer) => {
      if (!serverReplied)
        this.firstFlights[index] = Buffer.concat([this.firstFlights[index]!, chunk]);
      queue.push(chunk);
      void pump();
    });
    upstream.on('data', (chunk: Buffer) => {
      serverReplied = true;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  }
}

/**
 * Returns the ClientHello of `row` with a padding extension (type 21) of
 * `paddingLength` zero bytes appended, split into TLS records of at most
 * 2^14 bytes as a client must send a hello that large.
 */
function paddedHello(row: CorpusRow, paddingLength: number): Buffer {
  const message = Buffer.from(row.handshake_hex, 'hex');
  // Handshake header (4) + legacy_version (2) + random (32), then the variable-length fields.
  let at = 4 + 2 + 32;
  at += 1 + message[at]!;
  at += 2 + message.readUInt16BE(at);
  at += 1 + message[at]!;
  const extensionsLengthAt = at;
  const padding = Buffer.alloc(4 + paddingLength);
  padding.writeUInt16BE(21, 0);
  padding.writeUInt16BE(paddingLength, 2);
  const padded = Buffer.concat([message, padding]);
  padded.writeUInt16BE(
    message.readUInt16BE(extensionsLengthAt) + padding.length,
    extensionsLengthAt,
  );
  padded.writeUIntBE(padded.length - 4, 1, 3);

  const records: Buffer[] = [];
  for (let start = 0; start < padded.length; start += 16_384) {
    const fragment = padded.subarray(start, start + 16_384);
    const header = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00]);
    header.writeUInt16BE(fragment.length, 3);
    records.push(header, fragment);
  }
  return Buffer.concat(records);
}

describe('hello sent byte by byte', () => {
  it('fingerprints corpus hellos sent byte by byte', { timeout: 30_000 }, async () => {
    const rows = tcpHellos().filter((row) => SLOW_IDS.includes(row.id));
    expect(rows.map((row) => row.id).sort()).toEqual([...SLOW_IDS].sort());
    expect(rows.some((row) => (row.extraction?.nrecords ?? 1) > 1)).toBe(true);

    const seenByPort = new Map<number, string>();
    const server = createServer(
      {
        ...certificate,
        capture: {
          helloTimeoutMs: HELLO_TIMEOUT_MS,
          onClientHello: (event) => {
            seenByPort.set(event.remotePort!, event.fingerprint.ja4);
            return 'drop';
          },
        },
      },
      (_request, response) => response.end(),
    );
    // Counts the chunks in which the server received each connection's bytes.
    const chunksByPort = new Map<number, number>();
    server.on('connection', (socket: Socket) => {
      const clientPort = socket.remotePort!;
      chunksByPort.set(clientPort, 0);
      socket.on('data', () => chunksByPort.set(clientPort, chunksByPort.get(clientPort)! + 1));
    });
    const port = await listen(server);
    cleanups.push(() => close(server));
    const capture = getCapture(server)!;

    const started = performance.now();
    const results = await Promise.all(
      rows.map(async (row) => {
        const client = await connectRaw(port);
        const localPort = client.socket.localPort!;
        const bytes = recordBytes(row);
        await writeByteByByte(client.socket, bytes);
        await withTimeout(client.closed, 5_000, `${row.id} was not closed by the drop verdict`);
        return { row, localPort, length: bytes.length };
      }),
    );
    const elapsedMs = performance.now() - started;
    expect(elapsedMs).toBeLessThan(HELLO_TIMEOUT_MS);

    for (const { row, localPort, length } of results) {
      expect(seenByPort.get(localPort), row.id).toBe(row.expected.ja4);
      // Most bytes arrived in a read of their own, but a busy loop turn may merge a few.
      expect(chunksByPort.get(localPort), row.id).toBeGreaterThan(length / 4);
    }
    const stats = capture.stats();
    expect(stats.captured).toBe(rows.length);
    expect(stats.dropped).toBe(rows.length);
    expect(stats.timedOut).toBe(0);
    expect(stats.malformed).toBe(0);
    expect(stats.pending).toBe(0);
  });

  it('reassembles a 60 KB hello sent in small chunks', { timeout: 30_000 }, async () => {
    const row = tcpHellos().find((candidate) => candidate.id === 'synthetic.pcap#baseline-tls13')!;
    const bytes = paddedHello(row, 60_000);
    const expected = fingerprint(bytes).ja4;
    // One extension more than the corpus hello: the padding.
    expect(expected.slice(0, 8)).toBe('t13d1511');
    expect(bytes.readUInt16BE(3)).toBe(16_384);

    const seen: string[] = [];
    const server = createServer(
      {
        ...certificate,
        capture: {
          helloTimeoutMs: HELLO_TIMEOUT_MS,
          onClientHello: (event) => {
            seen.push(event.fingerprint.ja4);
            return 'drop';
          },
        },
      },
      (_request, response) => response.end(),
    );
    const port = await listen(server);
    cleanups.push(() => close(server));

    await Promise.all(
      Array.from({ length: LARGE_HELLO_CLIENTS }, async () => {
        const client = await connectRaw(port);
        client.socket.setNoDelay(true);
        for (let start = 0; start < bytes.length; start += LARGE_HELLO_CHUNK) {
          client.socket.write(bytes.subarray(start, start + LARGE_HELLO_CHUNK));
          await delay(BYTE_GAP_MS);
        }
        await withTimeout(client.closed, 5_000, 'large hello was not closed by the drop verdict');
      }),
    );
    expect(seen).toEqual(Array.from({ length: LARGE_HELLO_CLIENTS }, () => expected));
    expect(getCapture(server)!.stats().pending).toBe(0);
  });

  it('gives a dribbled https client its own JA4', { timeout: 30_000 }, async () => {
    const server = createServer(
      { ...certificate, capture: { helloTimeoutMs: HELLO_TIMEOUT_MS } },
      (request, response) => {
        response.end(getFingerprint(request.socket)?.ja4 ?? 'none');
      },
    );
    const port = await listen(server);
    cleanups.push(() => close(server));
    const relay = new DribblingRelay();
    const relayPort = await relay.listen(port);
    cleanups.push(() => relay.close());

    const body = await new Promise<string>((resolve, reject) => {
      const request = https.get(
        { host: '127.0.0.1', port: relayPort, rejectUnauthorized: false, agent: false },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => resolve(text));
        },
      );
      request.setTimeout(HELLO_TIMEOUT_MS + 5_000, () => {
        request.destroy(new Error('GET through the dribbling relay timed out'));
      });
      request.on('error', reject);
    });

    const hello = relay.firstFlights[0]!;
    expect(hello.length).toBeGreaterThan(100);
    expect(body).toBe(fingerprint(hello, { allowTrailingData: true }).ja4);
    const capture = getCapture(server)!;
    await waitFor(() => capture.stats().pending === 0);
    expect(capture.stats().captured).toBe(1);
  });
});
