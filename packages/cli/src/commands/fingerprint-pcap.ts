import { open } from 'node:fs/promises';
import { measureClientHello } from '@ja4guard/core';
import type { JsonLineWriter } from '../output.js';
import { decodePacket, SUPPORTED_LINK_TYPES } from '../pcap/packets.js';
import { CaptureFormatError, readCaptureChunks } from '../pcap/reader.js';
import {
  DEFAULT_MAX_OPEN_STREAMS,
  DEFAULT_MAX_STREAM_BYTES,
  type IncompleteStream,
  type StreamConsumer,
  type StreamInfo,
  TcpStreamAssembler,
} from '../pcap/tcp-streams.js';
import { errorRow, fingerprintBytes, isErrorRow, parseErrorRow, type ResultRow } from '../rows.js';
import { EXIT_INPUT_ERROR, EXIT_SUCCESS, UsageError } from './command.js';

const READ_CHUNK_BYTES = 1024 * 1024;
const TLS_HANDSHAKE_RECORD = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;

type StreamRow = { readonly stream: string } & ResultRow;

/**
 * Prints the first ClientHello of each TCP stream in the capture at `path`, in the order
 * in which the hellos become complete. Returns 1 when a stream did not parse or the
 * capture is corrupt, after printing every row it could.
 */
export async function fingerprintCapture(
  path: string,
  writer: JsonLineWriter,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  const handle = await openCaptureFile(path);
  const input = handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
  const collector = new ClientHelloCollector();
  const assembler = new TcpStreamAssembler(collector);
  const skipped = new SkippedPackets();
  let captureError: CaptureFormatError | undefined;

  try {
    for await (const packet of readCaptureChunks(input, path)) {
      const decoded = decodePacket(packet.linkType, packet.data);
      if (decoded.kind === 'tcp') {
        assembler.push(decoded.segment);
        await collector.flush(writer);
      } else {
        skipped.count(decoded, packet.linkType, packet.offset);
      }
      if (writer.closed) {
        break;
      }
    }
  } catch (error) {
    if (!(error instanceof CaptureFormatError)) {
      throw error;
    }
    captureError = error;
  } finally {
    input.destroy();
  }

  assembler.finish();
  await collector.flush(writer);

  for (const warning of skipped.describe(path)) {
    stderr.write(`ja4guard: ${warning}\n`);
  }
  if (collector.streamCount === 0 && captureError === undefined) {
    stderr.write(`ja4guard: ${path}: no TCP stream starts with a TLS handshake record\n`);
  }
  if (captureError !== undefined) {
    stderr.write(`ja4guard: ${captureError.message}\n`);
  }
  return collector.failures > 0 || captureError !== undefined ? EXIT_INPUT_ERROR : EXIT_SUCCESS;
}

/** Opens the capture, turning a missing file or a directory into a usage error. */
async function openCaptureFile(path: string) {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new UsageError(`cannot read --pcap ${path}: ${describeFileError(error)}`);
  }
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    throw new UsageError(`cannot read --pcap ${path}: it is a directory`);
  }
  return handle;
}

/** Describes a file system error in a few words, such as "no such file". */
export function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Stream consumer that fingerprints the first ClientHello of each stream and queues the
 * rows until `flush` writes them.
 */
class ClientHelloCollector implements StreamConsumer {
  #pending: StreamRow[] = [];
  /** Streams that started with a TLS handshake record. */
  streamCount = 0;
  /** Rows that were errors. */
  failures = 0;

  onPayload(stream: StreamInfo, payload: Uint8Array): boolean {
    if (payload[0] !== TLS_HANDSHAKE_RECORD) {
      return true;
    }
    if (!stream.openedBySyn) {
      // Without the SYN this may be the server side, or a connection picked up midway.
      // Only a record that starts with a ClientHello header marks the client side.
      if (payload.length < 6) {
        return false;
      }
      if (payload[5] !== HANDSHAKE_CLIENT_HELLO) {
        return true;
      }
    }

    let length: number;
    try {
      length = measureClientHello(payload, DEFAULT_MAX_STREAM_BYTES);
    } catch (error) {
      this.#add(stream, parseErrorRow(error));
      return true;
    }
    if (length === 0) {
      return false;
    }
    this.#add(stream, fingerprintBytes(payload.subarray(0, length), 'tcp'));
    return true;
  }

  onIncomplete(stream: StreamInfo, incomplete: IncompleteStream): void {
    const { payload, gapAt } = incomplete;
    // A stream whose first bytes were not captured cannot be identified as TLS, so it is skipped.
    if (payload[0] !== TLS_HANDSHAKE_RECORD) {
      return;
    }
    if (gapAt !== undefined) {
      const message = `the capture is missing the bytes of this stream from offset ${gapAt}, so its ClientHello cannot be reassembled`;
      this.#add(stream, errorRow('ERR_STREAM_GAP', gapAt, message));
      return;
    }
    this.#add(
      stream,
      errorRow('ERR_STREAM_INCOMPLETE', payload.length, incompleteMessage(incomplete)),
    );
  }

  async flush(writer: JsonLineWriter): Promise<void> {
    const rows = this.#pending;
    this.#pending = [];
    for (const row of rows) {
      await writer.write(row);
    }
  }

  #add(stream: StreamInfo, row: ResultRow): void {
    this.streamCount += 1;
    if (isErrorRow(row)) {
      this.failures += 1;
    }
    this.#pending.push({ stream: stream.id, ...row });
  }
}

function incompleteMessage({ reason, payload }: IncompleteStream): string {
  const bytes = payload.length;
  switch (reason) {
    case 'closed':
      return `the stream closed after ${bytes} bytes, before its ClientHello was complete`;
    case 'capture_ended':
      return `the capture ends after ${bytes} bytes of this stream, before its ClientHello is complete`;
    case 'evicted':
      return `the stream was dropped after ${bytes} bytes, because more than ${DEFAULT_MAX_OPEN_STREAMS} streams were waiting for a ClientHello at once`;
    case 'buffer_full':
      return `the ClientHello is not complete within the first ${DEFAULT_MAX_STREAM_BYTES} bytes of the stream`;
  }
}

/** Counts of packets that were not TCP segments, reported once at the end. */
class SkippedPackets {
  #fragments = 0;
  #malformed = 0;
  #firstMalformed: { offset: number; reason: string } | undefined;
  readonly #unsupportedLinkTypes = new Map<number, number>();

  count(decoded: ReturnType<typeof decodePacket>, linkType: number, offset: number): void {
    switch (decoded.kind) {
      case 'fragment':
        this.#fragments += 1;
        return;
      case 'malformed':
        this.#malformed += 1;
        this.#firstMalformed ??= { offset, reason: decoded.reason };
        return;
      case 'unsupported_link_type':
        this.#unsupportedLinkTypes.set(
          linkType,
          (this.#unsupportedLinkTypes.get(linkType) ?? 0) + 1,
        );
        return;
      default:
        return;
    }
  }

  /** Returns one warning line per kind of skipped packet. */
  describe(path: string): string[] {
    const warnings: string[] = [];
    for (const [linkType, count] of this.#unsupportedLinkTypes) {
      warnings.push(
        `${path}: skipped ${count} packets of link type ${linkType}, which is not supported; supported link types are ${SUPPORTED_LINK_TYPES.join(', ')}`,
      );
    }
    if (this.#fragments > 0) {
      warnings.push(`${path}: skipped ${this.#fragments} IP fragments, which are not reassembled`);
    }
    if (this.#firstMalformed !== undefined) {
      const { offset, reason } = this.#firstMalformed;
      warnings.push(
        `${path}: skipped ${this.#malformed} malformed packets; the first, at byte ${offset}: ${reason}`,
      );
    }
    return warnings;
  }
}
