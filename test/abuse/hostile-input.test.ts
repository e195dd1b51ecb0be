// First bytes that are not a well-formed ClientHello: each kind must land in
// its own counter, and the server must keep serving normal clients.

import { randomBytes } from 'node:crypto';
import {
  type CaptureFailure,
  type CaptureStats,
  createServer,
  getCapture,
  measureClientHello,
  parseClientHello,
} from '@ja4guard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCertificate } from '../helpers/certificate.js';
import type { CorpusRow } from '../helpers/corpus.js';
import { close, listen, waitFor } from '../helpers/net.js';
import {
  connectRaw,
  type RawClient,
  recordBytes,
  runBounded,
  tcpHellos,
  timedHttpsGet,
  withTimeout,
} from './support.js';

/** Short enough that a case which leaves a connection waiting fails fast, instead of at the 10 s default. */
const HELLO_TIMEOUT_MS = 5_000;
const MALFORMED_COUNT = 1_000;
const RANDOM_COUNT = 200;
const CLIENT_CONCURRENCY = 50;

type Server = ReturnType<typeof createServer>;
type Capture = NonNullable<ReturnType<typeof getCapture>>;

let server: Server;
let capture: Capture;
let port: number;
const failures: CaptureFailure[] = [];
const uncaught: unknown[] = [];
const recordUncaught = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  const certificate = await testCertificate();
  server = createServer(
    { ...certificate, capture: { helloTimeoutMs: HELLO_TIMEOUT_MS } },
    (_request, response) => response.end('ok'),
  );
  capture = getCapture(server)!;
  capture.on('failure', (failure: CaptureFailure) => failures.push(failure));
  port = await listen(server);
  process.on('uncaughtException', recordUncaught);
  process.on('unhandledRejection', recordUncaught);
});

afterAll(async () => {
  process.off('uncaughtException', recordUncaught);
  process.off('unhandledRejection', recordUncaught);
  await close(server);
});

/**
 * Returns the counters that changed between two snapshots, as flat
 * `name` or `name.key` entries, leaving out `pending`.
 */
function statsDelta(before: CaptureStats, after: CaptureStats): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) {
    if (name === 'pending') continue;
    const previous = before[name as keyof CaptureStats];
    if (typeof value === 'number') {
      const change = value - (previous as number);
      if (change !== 0) delta[name] = change;
      continue;
    }
    const previousMap = previous as Record<string, number>;
    for (const [key, count] of Object.entries(value as Record<string, number>)) {
      const change = count - (previousMap[key] ?? 0);
      if (change !== 0) delta[`${name}.${key}`] = change;
    }
  }
  return delta;
}

function failureLabel(failure: CaptureFailure): string {
  return [failure.kind, failure.notTlsKind ?? failure.code].filter(Boolean).join(':');
}

const hellos = tcpHellos();
const chromeLike = hellos.find((row) => row.id === 'tls-handshake.pcapng#tcp.stream=0')!;
const chromeBytes = recordBytes(chromeLike);

/** A TLS record header (type 22, version 3.1) and a ClientHello header that declares `length` bytes. */
function helloHeader(recordLength: number, helloLength: number): Buffer {
  const header = Buffer.alloc(9);
  header.writeUInt8(0x16, 0);
  header.writeUInt16BE(0x0301, 1);
  header.writeUInt16BE(recordLength, 3);
  header.writeUInt8(0x01, 5);
  header.writeUIntBE(helloLength, 6, 3);
  return header;
}

/** Returns one full 16 KiB handshake record whose ClientHello header declares 16 MiB. */
function hugeHelloInOneRecord(): Buffer {
  return Buffer.concat([helloHeader(16_384, 0xff_ffff), Buffer.alloc(16_380)]);
}

/**
 * Returns a 65,000-byte ClientHello split into 100-byte records. The message fits the
 * 64 KiB default cap, but its 651 record headers push it past.
 */
function helloSplitPastCap(): Buffer {
  const message = Buffer.alloc(4 + 65_000);
  message.writeUInt8(0x01, 0);
  message.writeUIntBE(65_000, 1, 3);
  const records: Buffer[] = [];
  for (let start = 0; start < message.length; start += 100) {
    const fragment = message.subarray(start, start + 100);
    const header = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00]);
    header.writeUInt16BE(fragment.length, 3);
    records.push(header, fragment);
  }
  return Buffer.concat(records);
}

interface HostileCase {
  name: string;
  /** Sends the bytes and ends or resets the connection. */
  send: (client: RawClient) => void;
  /** Counters that must change by exactly these amounts. Every other counter must stay the same. */
  delta: Record<string, number>;
  /** Failure events, as `kind` or `kind:detail`. */
  failures: string[];
}

const CASES: HostileCase[] = [
  {
    name: 'plain HTTP/1.1 request',
    send: ({ socket }) => socket.end('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'),
    delta: { notTls: 1, 'notTlsByKind.http': 1 },
    failures: ['not-tls:http'],
  },
  {
    name: 'HTTP/2 cleartext preface',
    send: ({ socket }) => socket.end('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    delta: { notTls: 1, 'notTlsByKind.http': 1 },
    failures: ['not-tls:http'],
  },
  {
    name: 'TLS alert record',
    // Fatal handshake_failure alert (level 2, description 40).
    send: ({ socket }) => socket.end(Buffer.from('15030300020228', 'hex')),
    delta: { notTls: 1, 'notTlsByKind.tls-record': 1 },
    failures: ['not-tls:tls-record'],
  },
  {
    name: 'TLS application data record',
    send: ({ socket }) => socket.end(Buffer.from('17030300050102030405', 'hex')),
    delta: { notTls: 1, 'notTlsByKind.tls-record': 1 },
    failures: ['not-tls:tls-record'],
  },
  {
    name: 'random bytes',
    // Fixed bytes, so the expected counter is known: 0x00 starts no TLS record and no HTTP method.
    send: ({ socket }) =>
      socket.end(Buffer.from('00c4e1f97a3b52d80e6f1a9c4437b2e05d8861fa0b3c', 'hex')),
    delta: { notTls: 1, 'notTlsByKind.other': 1 },
    failures: ['not-tls:other'],
  },
  {
    name: 'SSLv2 hello',
    // SSL 2.0 CLIENT-HELLO: length 0x8022, type 1, version 3.1, 3 cipher specs, 16-byte challenge.
    send: ({ socket }) =>
      socket.end(
        Buffer.from(`8022010301000900000010${'010080'.repeat(3)}${'ab'.repeat(16)}`, 'hex'),
      ),
    delta: { sslv2: 1 },
    failures: ['sslv2:ERR_SSLV2_HELLO'],
  },
  {
    name: 'PROXY v1 header with the option off',
    send: ({ socket }) =>
      socket.end(
        Buffer.concat([Buffer.from('PROXY TCP4 192.0.2.7 127.0.0.1 51234 443\r\n'), chromeBytes]),
      ),
    delta: { notTls: 1, 'notTlsByKind.proxy-header': 1 },
    failures: ['not-tls:proxy-header'],
  },
  {
    name: 'PROXY v2 header with the option off',
    send: ({ socket }) =>
      socket.end(
        Buffer.concat([
          Buffer.from('0d0a0d0a000d0a515549540a', 'hex'),
          // Version 2 PROXY over TCP4: 12 address bytes for 192.0.2.7:51234 -> 127.0.0.1:443.
          Buffer.from('2111000cc00002077f000001c82201bb', 'hex'),
          chromeBytes,
        ]),
      ),
    delta: { notTls: 1, 'notTlsByKind.proxy-header': 1 },
    failures: ['not-tls:proxy-header'],
  },
  {
    name: 'empty connection',
    send: ({ socket }) => socket.end(),
    delta: { incomplete: 1 },
    failures: ['incomplete'],
  },
  {
    name: 'reset in the middle of a hello',
    send: ({ socket }) => {
      socket.write(chromeBytes.subarray(0, 100), () => socket.resetAndDestroy());
    },
    delta: { incomplete: 1 },
    failures: ['incomplete'],
  },
  {
    name: 'FIN in the middle of a hello',
    send: ({ socket }) => socket.end(chromeBytes.subarray(0, 100)),
    delta: { incomplete: 1 },
    failures: ['incomplete'],
  },
  {
    name: 'record length past the TLS limit',
    // Record length 0xffff, more than the 2^14 bytes RFC 8446 allows.
    send: ({ socket }) => socket.end(Buffer.concat([helloHeader(0xffff, 0x100), chromeBytes])),
    delta: { malformed: 1, 'malformedByCode.ERR_RECORD_LENGTH': 1 },
    failures: ['malformed:ERR_RECORD_LENGTH'],
  },
  {
    name: 'hello length past the cap in one record',
    send: ({ socket }) => socket.end(hugeHelloInOneRecord()),
    delta: { oversized: 1 },
    failures: ['oversized'],
  },
  {
    name: 'record headers past the cap',
    send: ({ socket }) => socket.end(helloSplitPastCap()),
    delta: { oversized: 1 },
    failures: ['oversized'],
  },
  {
    name: 'hello followed by an immediate FIN',
    send: ({ socket }) => socket.end(chromeBytes),
    delta: { captured: 1 },
    failures: [],
  },
];

/** Waits until the capture has finished with every connection and the counters changed. */
async function settle(before: CaptureStats): Promise<CaptureStats> {
  await waitFor(() => {
    const now = capture.stats();
    return now.pending === 0 && Object.keys(statsDelta(before, now)).length > 0;
  }, HELLO_TIMEOUT_MS + 2_000);
  return capture.stats();
}

/**
 * Corrupts one length field inside a single-record corpus hello, leaving the
 * record and handshake lengths intact so the hello is complete but malformed.
 */
function corruptHello(row: CorpusRow, variant: number): Buffer {
  const bytes = Buffer.from(recordBytes(row));
  // Record header (5) + handshake header (4) + legacy_version (2) + random (32).
  const sessionIdAt = 5 + 4 + 2 + 32;
  const sessionIdLength = bytes[sessionIdAt]!;
  const cipherLengthAt = sessionIdAt + 1 + sessionIdLength;
  switch (variant % 3) {
    case 0:
      // An odd cipher_suites length cannot hold 2-byte suites.
      bytes[cipherLengthAt + 1]! ^= 0x01;
      break;
    case 1:
      // legacy_session_id is at most 32 bytes.
      bytes[sessionIdAt] = 33;
      break;
    default: {
      const cipherLength = bytes.readUInt16BE(cipherLengthAt);
      const compressionAt = cipherLengthAt + 2 + cipherLength;
      const extensionsAt = compressionAt + 1 + bytes[compressionAt]!;
      if (extensionsAt + 2 <= bytes.length) {
        // An extensions block one byte longer than the bytes left.
        bytes.writeUInt16BE(bytes.readUInt16BE(extensionsAt) + 1, extensionsAt);
      } else {
        // A hello without extensions: make the compression_methods list overrun the hello instead.
        bytes[compressionAt] = 0xff;
      }
    }
  }
  return bytes;
}

/** Returns the parse error code the capture must report for `bytes`, or null when they parse. */
function expectedErrorCode(bytes: Buffer): string | null {
  try {
    parseClientHello(bytes.subarray(0, measureClientHello(bytes)));
    return null;
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe('hostile first bytes', () => {
  it.each(CASES)('counts $name', async (hostile) => {
    const before = capture.stats();
    const failuresBefore = failures.length;
    const client = await connectRaw(port);
    hostile.send(client);
    await withTimeout(client.closed, HELLO_TIMEOUT_MS + 2_000, `${hostile.name} stayed open`);
    const after = await settle(before);

    expect(statsDelta(before, after)).toEqual(hostile.delta);
    expect(after.pending).toBe(0);
    expect(failures.slice(failuresBefore).map(failureLabel)).toEqual(hostile.failures);

    const probe = await timedHttpsGet(port);
    expect(probe.status).toBe(200);
    expect(uncaught).toEqual([]);
  });

  it('counts 1,000 malformed hellos by code', { timeout: 60_000 }, async () => {
    const rows = hellos.filter((row) => {
      const bytes = recordBytes(row);
      return bytes.readUInt16BE(3) === bytes.length - 5;
    });
    const payloads = Array.from({ length: MALFORMED_COUNT }, (_, i) =>
      corruptHello(rows[i % rows.length]!, i),
    );
    const expectedByCode: Record<string, number> = {};
    for (const bytes of payloads) {
      const code = expectedErrorCode(bytes) ?? 'parsed';
      expectedByCode[code] = (expectedByCode[code] ?? 0) + 1;
    }
    expect(expectedByCode.parsed).toBeUndefined();

    const before = capture.stats();
    const failuresBefore = failures.length;
    await runBounded(MALFORMED_COUNT, CLIENT_CONCURRENCY, async (index) => {
      const client = await connectRaw(port);
      client.socket.end(payloads[index]!);
      await withTimeout(client.closed, HELLO_TIMEOUT_MS, `malformed hello ${index} stayed open`);
    });
    await waitFor(() => capture.stats().malformed - before.malformed >= MALFORMED_COUNT, 5_000);
    const after = capture.stats();

    const expectedDelta: Record<string, number> = { malformed: MALFORMED_COUNT };
    for (const [code, count] of Object.entries(expectedByCode)) {
      expectedDelta[`malformedByCode.${code}`] = count;
    }
    expect(statsDelta(before, after)).toEqual(expectedDelta);
    expect(after.pending).toBe(0);

    const fired = failures.slice(failuresBefore);
    expect(fired).toHaveLength(MALFORMED_COUNT);
    expect(fired.filter((failure) => failure.kind !== 'malformed')).toEqual([]);
    expect((await timedHttpsGet(port)).status).toBe(200);
    expect(uncaught).toEqual([]);
  });

  it('counts every random payload once', { timeout: 60_000 }, async () => {
    const before = capture.stats();
    await runBounded(RANDOM_COUNT, CLIENT_CONCURRENCY, async (index) => {
      const client = await connectRaw(port);
      // Lengths from 1 to 600 bytes; some start like TLS and end early, so they count as incomplete.
      client.socket.end(randomBytes(1 + ((index * 37) % 600)));
      await withTimeout(client.closed, HELLO_TIMEOUT_MS, `random payload ${index} stayed open`);
    });
    await waitFor(() => capture.stats().pending === 0, HELLO_TIMEOUT_MS);
    const delta = statsDelta(before, capture.stats());

    // Each connection ends in exactly one of the top-level outcomes.
    const outcomes = ['captured', 'notTls', 'sslv2', 'malformed', 'oversized', 'incomplete'];
    const total = outcomes.reduce((sum, name) => sum + (delta[name] ?? 0), 0);
    expect(total).toBe(RANDOM_COUNT);
    expect(delta.timedOut).toBeUndefined();
    expect((await timedHttpsGet(port)).status).toBe(200);
    expect(uncaught).toEqual([]);
  });
});
