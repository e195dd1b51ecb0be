import diagnosticsChannel from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { type TLSSocket, Server as TlsServer } from 'node:tls';
import { type ClientHelloParseError, isClientHelloParseError, ParseErrorCode } from '../errors.js';
import { fingerprintClientHello } from '../fingerprint/fingerprint.js';
import { type ClientHello, readAvailableClientHello } from '../parser/client-hello.js';
import { CaptureOptionError } from './errors.js';
import {
  type CaptureOptions,
  type ClientHelloVerdict,
  isTrustedSource,
  type ResolvedCaptureOptions,
  resolveOptions,
} from './options.js';
import { readProxyHeader, startsLikeProxyHeader } from './proxy-protocol.js';
import {
  applyProxiedClient,
  type CaptureResult,
  kCaptureResult,
  kProxiedClient,
  type ProxiedClient,
} from './result.js';
import {
  type CaptureFailureKind,
  type CaptureStats,
  classifyNotTls,
  copyStats,
  countFailure,
  createStats,
  type NotTlsKind,
} from './stats.js';

/** One connection that ended without a fingerprint or was closed. */
export interface CaptureFailure {
  readonly kind: CaptureFailureKind;
  /** Parse error code, for `malformed` and `sslv2`. */
  readonly code?: ParseErrorCode;
  /** Kind of first bytes, for `not-tls`. */
  readonly notTlsKind?: NotTlsKind;
  readonly message: string;
  readonly remoteAddress: string | undefined;
}

type ConnectionListener = (this: TlsServer, socket: Socket) => void;

const kServerCapture = Symbol.for('@ja4guard/core.serverCapture');

/** diagnostics_channel that receives a {@link CaptureFailure} for every failed connection. */
export const failureChannel = diagnosticsChannel.channel('ja4guard:capture:failure');

/**
 * ClientHello capture on one TLS server. Emits `failure` with a
 * {@link CaptureFailure} for each connection without a fingerprint.
 */
export class Capture extends EventEmitter {
  readonly server: TlsServer;
  readonly options: ResolvedCaptureOptions;
  readonly #stats: CaptureStats = createStats();
  readonly #originalListeners: ConnectionListener[];
  readonly #onConnection: (socket: Socket) => void;
  readonly #onSecureConnection: (socket: TLSSocket) => void;
  #attached = true;

  constructor(server: TlsServer, options: ResolvedCaptureOptions) {
    super();
    this.server = server;
    this.options = options;
    this.#originalListeners = server.listeners('connection') as ConnectionListener[];
    this.#onConnection = (socket) => {
      new HelloReader(this, socket);
    };
    this.#onSecureConnection = (socket) => {
      // NOTE: `_parent`, the raw socket that a server TLSSocket wraps, is internal to Node (stable since 0.11).
      const parent = (
        socket as unknown as {
          _parent?: { [kCaptureResult]?: CaptureResult; [kProxiedClient]?: ProxiedClient };
        }
      )._parent;
      const result = parent?.[kCaptureResult];
      if (result !== undefined) {
        (socket as unknown as { [kCaptureResult]: CaptureResult })[kCaptureResult] = result;
      }
      const client = parent?.[kProxiedClient];
      if (client !== undefined) applyProxiedClient(socket, client);
    };
    server.removeAllListeners('connection');
    server.on('connection', this.#onConnection);
    server.prependListener('secureConnection', this.#onSecureConnection);
  }

  /** Returns a snapshot of the counters. */
  stats(): CaptureStats {
    return copyStats(this.#stats);
  }

  /** Restores the server's own connection listeners. Connections being read finish as before. */
  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    this.server.removeListener('connection', this.#onConnection);
    this.server.removeListener('secureConnection', this.#onSecureConnection);
    for (const listener of this.#originalListeners) this.server.on('connection', listener);
    delete (this.server as unknown as Record<symbol, unknown>)[kServerCapture];
  }

  /** @internal */
  get counters(): CaptureStats {
    return this.#stats;
  }

  /** @internal Runs the server's own connection listeners, as if the connection had just arrived. */
  handOver(socket: Socket): void {
    for (const listener of this.#originalListeners) listener.call(this.server, socket);
  }

  /** @internal */
  reportFailure(
    socket: Socket,
    kind: CaptureFailureKind,
    message: string,
    code?: ParseErrorCode,
    notTlsKind?: NotTlsKind,
  ): void {
    countFailure(this.#stats, kind, code, notTlsKind);
    if (this.listenerCount('failure') === 0 && !failureChannel.hasSubscribers) return;
    const failure: CaptureFailure = {
      kind,
      code,
      notTlsKind,
      message,
      remoteAddress: socket.remoteAddress,
    };
    if (failureChannel.hasSubscribers) failureChannel.publish(failure);
    this.emit('failure', failure);
  }
}

/**
 * Reads one connection's bytes until a whole ClientHello is buffered, then
 * puts them back with `unshift()` and runs the server's own listeners, so
 * Node's TLS reads an untouched stream.
 */
class HelloReader {
  readonly #capture: Capture;
  readonly #socket: Socket;
  /** Bytes received so far: the first chunk itself, or a view of the start of `#store`. */
  #buffer: Buffer | null = null;
  /** Backing store of `#buffer` from the second chunk on. It grows by doubling. */
  #store: Buffer | null = null;
  readonly #timer: NodeJS.Timeout;
  #done = false;
  /** Length of the PROXY header at the start of the buffer: -1 while one is expected, 0 when there is none. */
  #headerLength: number;
  #client: ProxiedClient | null = null;

  constructor(capture: Capture, socket: Socket) {
    this.#capture = capture;
    this.#socket = socket;
    const sources = capture.options.proxySources;
    this.#headerLength =
      sources !== null && isTrustedSource(sources, socket.remoteAddress) ? -1 : 0;
    capture.counters.pending++;
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onClose);
    this.#timer = setTimeout(this.#onTimeout, capture.options.helloTimeoutMs);
  }

  #onData = (chunk: Buffer): void => {
    const buffer = this.#append(chunk);
    const options = this.#capture.options;
    if (options.proxySources !== null && !this.#readProxyHeader(buffer)) return;

    // The PROXY header counts towards the byte cap, so the hello gets what is left.
    const helloBytes = this.#headerLength > 0 ? buffer.subarray(this.#headerLength) : buffer;
    if (helloBytes.length === 0) return;
    const maxHelloBytes = options.maxHelloBytes - this.#headerLength;
    let hello: ClientHello | null;
    try {
      hello = readAvailableClientHello(helloBytes, maxHelloBytes);
    } catch (error) {
      this.#rejectBytes(error, helloBytes);
      return;
    }
    if (hello === null) return;

    const result: CaptureResult = {
      status: 'captured',
      fingerprint: fingerprintClientHello(hello),
      clientHello: options.keepClientHello ? hello : null,
    };
    this.#capture.counters.captured++;
    this.#stopReading();
    if (options.onClientHello === undefined) {
      this.#handOver(result);
    } else {
      this.#askHook(result);
    }
  };

  /**
   * Appends `chunk` to the bytes received so far and returns them. Copying
   * into a store that doubles, instead of joining all bytes on every chunk,
   * keeps a hello sent in many small chunks linear in cost, not quadratic.
   */
  #append(chunk: Buffer): Buffer {
    const received = this.#buffer;
    if (received === null) {
      this.#buffer = chunk;
      return chunk;
    }
    const length = received.length + chunk.length;
    let store = this.#store;
    if (store === null || store.length < length) {
      // Doubling stops at the byte cap: the chunk that passes it completes the hello or makes it oversized.
      const capacity = Math.max(
        length,
        Math.min(2 * received.length, this.#capture.options.maxHelloBytes),
      );
      store = Buffer.allocUnsafe(capacity);
      received.copy(store);
      this.#store = store;
    }
    chunk.copy(store, received.length);
    const buffer = store.subarray(0, length);
    this.#buffer = buffer;
    return buffer;
  }

  /**
   * Reads the PROXY header a trusted balancer must send, and rejects one from
   * any other source. Returns false when the connection must wait for more
   * bytes or was closed.
   */
  #readProxyHeader(buffer: Buffer): boolean {
    const socket = this.#socket;
    if (this.#headerLength === 0) {
      if (!startsLikeProxyHeader(buffer)) return true;
      // Wait until the whole v1 prefix ("PROXY ") or v2 signature (12 bytes) can be compared.
      if (buffer.length < (buffer[0] === 0x0d ? 12 : 6)) return false;
      this.#close(
        'proxy-rejected',
        `PROXY header from ${socket.remoteAddress}, which is not in proxyProtocol.trustedSources`,
      );
      return false;
    }
    if (this.#headerLength > 0) return true;

    const header = readProxyHeader(buffer);
    if (header.status === 'incomplete') {
      if (buffer.length >= this.#capture.options.maxHelloBytes) {
        this.#close('oversized', `PROXY header not complete after ${buffer.length} bytes`);
      }
      return false;
    }
    if (header.status === 'invalid') {
      this.#close(
        'proxy-rejected',
        `${header.reason} (from trusted source ${socket.remoteAddress})`,
      );
      return false;
    }
    this.#headerLength = header.length;
    this.#capture.counters.proxyAccepted++;
    if (header.source !== null) {
      this.#client = {
        ...header.source,
        proxy: { address: socket.remoteAddress, port: socket.remotePort },
      };
    }
    return true;
  }

  /** Handles bytes that cannot be a ClientHello: hands them on to TLS, or closes the socket, as the options set. */
  #rejectBytes(error: unknown, helloBytes: Buffer): void {
    const options = this.#capture.options;
    const socket = this.#socket;
    if (!isClientHelloParseError(error)) throw error;
    const parseError: ClientHelloParseError = error;
    switch (parseError.code) {
      case ParseErrorCode.TOO_LARGE:
        this.#close('oversized', parseError.message);
        return;
      case ParseErrorCode.NOT_TLS:
        this.#stopReading();
        this.#capture.reportFailure(
          socket,
          'not-tls',
          parseError.message,
          undefined,
          classifyNotTls(helloBytes),
        );
        if (options.dropNotTls) socket.destroy();
        else this.#handOver({ status: 'not-tls' });
        return;
      case ParseErrorCode.SSLV2_HELLO:
        this.#stopReading();
        this.#capture.reportFailure(socket, 'sslv2', parseError.message, parseError.code);
        if (options.dropMalformed) socket.destroy();
        else this.#handOver({ status: 'sslv2' });
        return;
      default:
        this.#stopReading();
        this.#capture.reportFailure(socket, 'malformed', parseError.message, parseError.code);
        if (options.dropMalformed) socket.destroy();
        else this.#handOver({ status: 'malformed', error: parseError });
    }
  }

  #askHook(result: CaptureResult & { status: 'captured' }): void {
    const capture = this.#capture;
    const socket = this.#socket;
    const hook = capture.options.onClientHello!;
    // Errors that arrive while the hook decides must not go unhandled.
    socket.on('error', ignoreError);
    const event = {
      fingerprint: result.fingerprint,
      clientHello: result.clientHello,
      remoteAddress: this.#client?.address ?? socket.remoteAddress,
      remotePort: this.#client?.port ?? socket.remotePort,
    };

    let settled = false;
    const apply = (verdict: ClientHelloVerdict | undefined, failure?: string): void => {
      if (settled) return;
      settled = true;
      socket.removeListener('error', ignoreError);
      if (socket.destroyed) return;
      if (failure !== undefined) capture.reportFailure(socket, 'hook-failed', failure);
      if (verdict === 'drop') {
        capture.counters.dropped++;
        // A reset (RST) instead of a FIN leaves no TIME_WAIT state on the
        // server, which is most of the kernel's cost of a dropped connection.
        socket.resetAndDestroy();
        return;
      }
      this.#handOver(result);
    };

    let verdict: ClientHelloVerdict | Promise<ClientHelloVerdict>;
    try {
      verdict = hook(event, socket);
    } catch (error) {
      apply('accept', `onClientHello threw: ${errorMessage(error)}`);
      return;
    }
    if (typeof verdict === 'string') {
      apply(verdict);
      return;
    }
    const timer = setTimeout(() => {
      apply('accept', `onClientHello did not settle within ${capture.options.hookTimeoutMs} ms`);
    }, capture.options.hookTimeoutMs);
    Promise.resolve(verdict).then(
      (value) => {
        clearTimeout(timer);
        apply(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        apply('accept', `onClientHello rejected: ${errorMessage(error)}`);
      },
    );
  }

  #handOver(result: CaptureResult): void {
    const socket = this.#socket;
    if (socket.destroyed) return;
    (socket as unknown as { [kCaptureResult]: CaptureResult })[kCaptureResult] = result;
    if (this.#client !== null) applyProxiedClient(socket, this.#client);
    // Node's TLS must not see the PROXY header, only what follows it.
    const buffer = this.#buffer;
    this.#buffer = null;
    if (buffer !== null) {
      socket.unshift(this.#headerLength > 0 ? buffer.subarray(this.#headerLength) : buffer);
    }
    this.#capture.handOver(socket);
  }

  /** Stops reading: removes this reader's listeners and timer, and pauses the socket so later bytes queue behind the hello. */
  #stopReading(): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.#capture.counters.pending--;
    const socket = this.#socket;
    socket.pause();
    socket.removeListener('data', this.#onData);
    socket.removeListener('error', this.#onError);
    socket.removeListener('end', this.#onEnd);
    socket.removeListener('close', this.#onClose);
  }

  #close(kind: CaptureFailureKind, message: string): void {
    this.#stopReading();
    this.#buffer = null;
    this.#capture.reportFailure(this.#socket, kind, message);
    this.#socket.destroy();
  }

  #onTimeout = (): void => {
    const received = this.#buffer?.length ?? 0;
    this.#close(
      'timeout',
      `ClientHello not complete after ${this.#capture.options.helloTimeoutMs} ms (${received} bytes received)`,
    );
  };

  #onEnd = (): void => {
    const received = this.#buffer?.length ?? 0;
    this.#close(
      'incomplete',
      `client closed the connection after ${received} bytes of its ClientHello`,
    );
  };

  #onClose = (): void => {
    if (this.#done) return;
    this.#stopReading();
    this.#buffer = null;
    this.#capture.reportFailure(
      this.#socket,
      'incomplete',
      'connection closed before the ClientHello was complete',
    );
  };

  #onError = (error: Error): void => {
    this.#close('incomplete', `socket error before the ClientHello was complete: ${error.message}`);
  };
}

function ignoreError(): void {}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Attaches ClientHello capture to a TLS server (`tls.Server`, `https.Server`
 * or `http2.Http2SecureServer`). Call it before the first connection arrives.
 * Attaching twice returns the existing capture.
 */
export function attach(server: TlsServer, options?: CaptureOptions): Capture {
  const existing = getCapture(server);
  if (existing !== null) return existing;
  if (!(server instanceof TlsServer) || server.listeners('connection').length === 0) {
    throw new CaptureOptionError(
      'server',
      server,
      'a tls.Server, https.Server or http2 secure server with its TLS connection listener',
    );
  }
  const capture = new Capture(server, resolveOptions(options));
  (server as unknown as Record<symbol, Capture>)[kServerCapture] = capture;
  return capture;
}

/** Returns the capture attached to `server`, or null. */
export function getCapture(server: TlsServer): Capture | null {
  return (server as unknown as Record<symbol, Capture | undefined>)[kServerCapture] ?? null;
}
