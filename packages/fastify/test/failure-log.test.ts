import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { attach, type Capture, type CaptureFailure } from '@ja4guard/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type TestCertificate, testCertificate } from '../../../test/helpers/certificate.js';
import { readCorpus } from '../../../test/helpers/corpus.js';
import { waitFor } from '../../../test/helpers/net.js';
import {
  CaptureFailureLog,
  FailureLogOptionError,
  type Ja4guardPluginOptions,
  ja4guard,
} from '../src/index.js';
import { httpsGet, sendRawConnections } from './helpers/clients.js';

interface LogLine {
  level: number;
  msg: string;
  kind?: string;
  code?: string;
  notTlsKind?: string;
  count?: number;
  remoteAddress?: string;
  detail?: string;
}

let certificate: TestCertificate;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  certificate = await testCertificate();
});

afterEach(async () => {
  vi.useRealTimers();
  for (const app of apps.splice(0)) await app.close();
});

/** Starts an https app whose pino lines about ClientHello capture end up in `lines`. */
async function startLoggedApp(options: Ja4guardPluginOptions = {}) {
  const lines: LogLine[] = [];
  const stream = {
    write(line: string) {
      const parsed = JSON.parse(line) as LogLine;
      if (parsed.msg.startsWith('ClientHello capture')) lines.push(parsed);
    },
  };
  const app = Fastify({ https: certificate, logger: { level: 'info', stream } });
  apps.push(app);
  await app.register(ja4guard, options);
  app.get('/', async (request) => request.ja4 ?? 'none');
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, lines, port: (app.server.address() as AddressInfo).port };
}

/** Returns a Chrome-like hello whose cipher_suites length is odd, so the parser reports ERR_INVALID_LENGTH. */
function malformedHello(): Buffer {
  const row = readCorpus().find(
    (candidate) => candidate.id.startsWith('tls-handshake.pcapng') && candidate.transport === 'tcp',
  )!;
  const bytes = Buffer.from(row.record_hex!, 'hex');
  // Record header 5, handshake header 4, version 2, random 32, session id length 1 and 32 bytes.
  bytes[5 + 4 + 2 + 32 + 1 + 32 + 1] = 0x03;
  return bytes;
}

describe('failure log in the fastify plugin', () => {
  it('summarises 1,000 non-TLS connections in one line', async () => {
    const { app, lines, port } = await startLoggedApp();
    const request = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';
    await sendRawConnections(port, request, 1_000, 50);
    await waitFor(() => app.ja4guard.capture.stats().notTls === 1_000);

    expect((await httpsGet(port)).status).toBe(200);
    // The window is still open, so nothing is written before close.
    expect(lines).toHaveLength(0);
    await app.close();

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      kind: 'not-tls',
      notTlsKind: 'http',
      count: 1_000,
      remoteAddress: '127.0.0.1',
    });
    expect(lines[0]!.code).toBeUndefined();
    expect(JSON.stringify(lines[0])).not.toContain('GET /');
  });

  it('groups malformed hellos by code', async () => {
    const { app, lines, port } = await startLoggedApp({ failureLogLevel: 'error' });
    await sendRawConnections(port, malformedHello(), 20, 10);
    await sendRawConnections(port, 'plain text', 5, 5);
    await waitFor(() => app.ja4guard.capture.stats().malformed === 20);
    await app.close();

    const byKind = Object.fromEntries(lines.map((line) => [line.kind, line]));
    expect(lines).toHaveLength(2);
    expect(byKind.malformed).toMatchObject({
      level: 50,
      code: 'ERR_INVALID_LENGTH',
      count: 20,
    });
    expect(byKind.malformed!.detail).toContain('cipher_suites');
    expect(byKind['not-tls']).toMatchObject({ level: 50, notTlsKind: 'other', count: 5 });
  });

  it('writes a line at the end of each window', async () => {
    const { app, lines, port } = await startLoggedApp({ failureLogIntervalMs: 200 });
    await sendRawConnections(port, 'plain text', 1, 1);
    await waitFor(() => lines.length === 1, 2_000);
    expect(lines[0]).toMatchObject({ kind: 'not-tls', count: 1 });

    await sendRawConnections(port, 'plain text', 2, 2);
    await waitFor(() => lines.length === 2, 2_000);
    expect(lines[1]).toMatchObject({ kind: 'not-tls', count: 2 });
    expect(app.ja4guard.capture.stats().notTls).toBe(3);
  });
});

describe('CaptureFailureLog', () => {
  /** Attaches a capture to a server that never listens, so the tests emit its failure events by hand. */
  function idleCapture(): Capture {
    return attach(https.createServer(certificate));
  }

  function fakeLogger() {
    const calls: Array<{ fields: Record<string, unknown>; message: string }> = [];
    const write = (fields: Record<string, unknown>, message: string) => {
      calls.push({ fields, message });
    };
    return { calls, logger: { warn: write, info: write } };
  }

  const notTls: CaptureFailure = {
    kind: 'not-tls',
    message: 'first byte 0x47 starts neither a TLS handshake record nor a ClientHello',
    remoteAddress: '192.0.2.1',
  };

  it('waits for the window to end', () => {
    vi.useFakeTimers();
    const { calls, logger } = fakeLogger();
    const capture = idleCapture();
    new CaptureFailureLog(logger, { failureLogIntervalMs: 1_000 }).start(capture);

    for (let index = 0; index < 5; index++) capture.emit('failure', notTls);
    vi.advanceTimersByTime(999);
    expect(calls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.fields).toEqual({
      kind: 'not-tls',
      code: undefined,
      count: 5,
      remoteAddress: '192.0.2.1',
      detail: notTls.message,
    });
  });

  it('opens a window only on a failure', () => {
    vi.useFakeTimers();
    const { calls, logger } = fakeLogger();
    const capture = idleCapture();
    new CaptureFailureLog(logger, { failureLogIntervalMs: 1_000 }).start(capture);

    vi.advanceTimersByTime(10_000);
    expect(calls).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('writes one line per group', () => {
    vi.useFakeTimers();
    const { calls, logger } = fakeLogger();
    const capture = idleCapture();
    new CaptureFailureLog(logger).start(capture);

    capture.emit('failure', { ...notTls, notTlsKind: 'http' });
    capture.emit('failure', { ...notTls, notTlsKind: 'other' });
    capture.emit('failure', { ...notTls, notTlsKind: 'http' });
    capture.emit('failure', { ...notTls, kind: 'malformed', code: 'ERR_TRUNCATED' });
    capture.emit('failure', { ...notTls, kind: 'malformed', code: 'ERR_INVALID_LENGTH' });
    vi.advanceTimersByTime(60_000);

    const groups = calls.map(({ fields }) => [
      fields.kind,
      fields.code,
      fields.notTlsKind,
      fields.count,
    ]);
    expect(groups).toEqual([
      ['not-tls', undefined, 'http', 2],
      ['not-tls', undefined, 'other', 1],
      ['malformed', 'ERR_TRUNCATED', undefined, 1],
      ['malformed', 'ERR_INVALID_LENGTH', undefined, 1],
    ]);
  });

  it('keeps the most recent address', () => {
    vi.useFakeTimers();
    const { calls, logger } = fakeLogger();
    const capture = idleCapture();
    new CaptureFailureLog(logger).start(capture);

    capture.emit('failure', notTls);
    capture.emit('failure', { ...notTls, remoteAddress: '198.51.100.7' });
    vi.advanceTimersByTime(60_000);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.fields).toMatchObject({ count: 2, remoteAddress: '198.51.100.7' });
  });

  it('stops listening on stop()', () => {
    const { calls, logger } = fakeLogger();
    const capture = idleCapture();
    const log = new CaptureFailureLog(logger);
    log.start(capture);
    capture.emit('failure', notTls);
    log.stop();
    capture.emit('failure', notTls);
    log.flush();

    expect(calls).toHaveLength(1);
    expect(capture.listenerCount('failure')).toBe(0);
  });

  it('uses the configured level', () => {
    const { calls, logger } = fakeLogger();
    const warn = vi.fn();
    const capture = idleCapture();
    const log = new CaptureFailureLog({ ...logger, warn }, { failureLogLevel: 'info' });
    log.start(capture);
    capture.emit('failure', notTls);
    log.flush();

    expect(calls).toHaveLength(1);
    expect(warn).not.toHaveBeenCalled();
  });

  it('rejects invalid options', () => {
    const { logger } = fakeLogger();
    const cases: Array<[string, () => unknown]> = [
      ['failureLogIntervalMs', () => new CaptureFailureLog(logger, { failureLogIntervalMs: 0 })],
      ['failureLogIntervalMs', () => new CaptureFailureLog(logger, { failureLogIntervalMs: 1.5 })],
      [
        'failureLogIntervalMs',
        () => new CaptureFailureLog(logger, { failureLogIntervalMs: 2 ** 31 }),
      ],
      [
        'failureLogLevel',
        () => new CaptureFailureLog(logger, { failureLogLevel: 'silent' as 'warn' }),
      ],
      ['logger', () => new CaptureFailureLog(logger, { failureLogLevel: 'error' })],
      ['logger', () => new CaptureFailureLog(null as unknown as typeof logger)],
    ];
    for (const [option, create] of cases) {
      let caught: unknown;
      try {
        create();
      } catch (error) {
        caught = error;
      }
      expect(caught, option).toBeInstanceOf(FailureLogOptionError);
      expect(caught, option).toMatchObject({ code: 'ERR_INVALID_FAILURE_LOG_OPTION', option });
    }
  });
});
