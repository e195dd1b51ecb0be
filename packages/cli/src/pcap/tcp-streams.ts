import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from './packets.js';

/** One direction of a TCP connection. */
export interface StreamInfo {
  /** `source:port -> destination:port`, with IPv6 addresses in brackets. */
  readonly id: string;
  /**
   * Whether the capture contains this side's SYN, which proves that it opened the
   * connection. Without it the stream may be either side, and its start is a guess.
   */
  readonly openedBySyn: boolean;
}

/**
 * Why a stream ended while its consumer still wanted bytes: its FIN or RST was seen, the
 * capture ended, it was evicted to stay under the open-stream limit, or its bytes
 * reached the per-stream buffer limit.
 */
export type IncompleteReason = 'closed' | 'capture_ended' | 'evicted' | 'buffer_full';

export interface IncompleteStream {
  readonly reason: IncompleteReason;
  /** Contiguous bytes from the start of the stream. */
  readonly payload: Uint8Array;
  /** Stream offset of the first missing byte when bytes after it were captured. */
  readonly gapAt: number | undefined;
}

/** Receiver of reassembled stream bytes. */
export interface StreamConsumer {
  /**
   * Receives the contiguous bytes from the start of the stream each time they grow, and
   * returns true once it needs no more bytes of this stream. The view is valid only
   * during the call.
   */
  onPayload(stream: StreamInfo, payload: Uint8Array): boolean;
  /** Receives a stream that ended before `onPayload` returned true. */
  onIncomplete(stream: StreamInfo, incomplete: IncompleteStream): void;
}

export interface TcpStreamLimits {
  /** Bytes kept from the start of each stream. Default 64 KiB. */
  readonly maxStreamBytes?: number;
  /** Streams buffered at once; the oldest is evicted beyond this. Default 10,000. */
  readonly maxOpenStreams?: number;
  /**
   * Finished streams remembered so that their later segments are ignored. Beyond this
   * the oldest is forgotten, and its later segments start a stream of unknown start.
   * Default 100,000.
   */
  readonly maxFinishedStreams?: number;
}

export const DEFAULT_MAX_STREAM_BYTES = 64 * 1024;
export const DEFAULT_MAX_OPEN_STREAMS = 10_000;
export const DEFAULT_MAX_FINISHED_STREAMS = 100_000;

/** Half-open range [start, end) of stream offsets that contain captured bytes. */
type ByteRange = [start: number, end: number];

interface StreamState {
  info: StreamInfo;
  /** Sequence number of stream offset 0, set by the SYN or by the first data segment. */
  startSequence: number | undefined;
  buffer: Uint8Array;
  /** Sorted, non-overlapping, non-adjacent ranges of captured bytes. */
  ranges: ByteRange[];
  /** Length of the contiguous bytes last passed to the consumer. */
  delivered: number;
  /** Whether bytes beyond maxStreamBytes arrived and were dropped. */
  overflowed: boolean;
}

/**
 * Reassembler of the bytes that each side of a TCP connection sends, in sequence order.
 *
 * Segments may arrive out of order or more than once. Where retransmitted segments
 * overlap, the later copy wins. Only the first `maxStreamBytes` of each stream are kept,
 * because the consumer looks only at the start of a stream. Segments from the side that
 * sent a SYN-ACK are ignored, because that side is the server.
 */
export class TcpStreamAssembler {
  readonly #consumer: StreamConsumer;
  readonly #maxStreamBytes: number;
  readonly #maxOpenStreams: number;
  readonly #maxFinishedStreams: number;
  readonly #open = new Map<string, StreamState>();
  /** Finished streams by id, with the start sequence to recognise a retransmitted SYN. */
  readonly #finished = new Map<string, number | undefined>();

  constructor(consumer: StreamConsumer, limits: TcpStreamLimits = {}) {
    this.#consumer = consumer;
    this.#maxStreamBytes = limits.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES;
    this.#maxOpenStreams = limits.maxOpenStreams ?? DEFAULT_MAX_OPEN_STREAMS;
    this.#maxFinishedStreams = limits.maxFinishedStreams ?? DEFAULT_MAX_FINISHED_STREAMS;
  }

  /** Adds one captured segment. */
  push(segment: TcpSegment): void {
    const id = `${segment.sourceAddress}:${segment.sourcePort} -> ${segment.destinationAddress}:${segment.destinationPort}`;
    const syn = (segment.flags & TCP_SYN) !== 0;
    const ack = (segment.flags & TCP_ACK) !== 0;

    if (syn && ack) {
      this.#open.delete(id);
      this.#rememberFinished(id, undefined);
      return;
    }

    const state = syn ? this.#streamForSyn(id, segment.sequence) : this.#streamForData(id);
    if (state === undefined) {
      return;
    }

    // The SYN flag takes one sequence number, so data on a SYN (TCP Fast Open) starts after it.
    const dataSequence = syn ? (segment.sequence + 1) >>> 0 : segment.sequence;
    if (segment.payload.length > 0) {
      this.#addBytes(state, dataSequence, segment.payload);
    }
    if (this.#open.get(id) === state && (segment.flags & (TCP_FIN | TCP_RST)) !== 0) {
      this.#endIncomplete(state, 'closed');
    }
  }

  /** Ends every stream still open, as the capture has ended. */
  finish(): void {
    for (const state of [...this.#open.values()]) {
      this.#endIncomplete(state, 'capture_ended');
    }
  }

  #streamForSyn(id: string, sequence: number): StreamState | undefined {
    const startSequence = (sequence + 1) >>> 0;
    const existing = this.#open.get(id);
    if (existing?.startSequence === startSequence && existing.info.openedBySyn) {
      return existing;
    }
    if (
      existing !== undefined &&
      !existing.info.openedBySyn &&
      this.#adoptSyn(existing, startSequence)
    ) {
      return existing;
    }
    if (this.#finished.get(id) === startSequence) {
      return undefined;
    }

    // A SYN with a new sequence number on the same addresses and ports is a new connection.
    if (existing !== undefined) {
      this.#endIncomplete(existing, 'closed');
    }
    this.#finished.delete(id);
    return this.#createStream(id, true, startSequence);
  }

  /**
   * Counts the offsets of a stream whose data arrived before its SYN from the SYN instead.
   * Returns false when the data does not follow the SYN, which makes it another connection.
   */
  #adoptSyn(state: StreamState, startSequence: number): boolean {
    if (state.startSequence !== undefined) {
      const shift = (state.startSequence - startSequence) | 0;
      if (shift < 0 || !this.#moveStreamStart(state, shift)) {
        return false;
      }
    }
    state.startSequence = startSequence;
    state.info = { id: state.info.id, openedBySyn: true };
    return true;
  }

  #streamForData(id: string): StreamState | undefined {
    if (this.#finished.has(id)) {
      return undefined;
    }
    return this.#open.get(id) ?? this.#createStream(id, false, undefined);
  }

  #createStream(id: string, openedBySyn: boolean, startSequence: number | undefined): StreamState {
    if (this.#open.size >= this.#maxOpenStreams) {
      const oldest = this.#open.values().next().value;
      if (oldest !== undefined) {
        this.#endIncomplete(oldest, 'evicted');
      }
    }
    const state: StreamState = {
      info: { id, openedBySyn },
      startSequence,
      buffer: new Uint8Array(0),
      ranges: [],
      delivered: 0,
      overflowed: false,
    };
    this.#open.set(id, state);
    return state;
  }

  #addBytes(state: StreamState, sequence: number, payload: Uint8Array): void {
    state.startSequence ??= sequence;
    // Sequence numbers wrap at 2^32, so the offset is the signed 32-bit difference.
    let start = (sequence - state.startSequence) | 0;
    let bytes = payload;

    if (start < 0 && !state.info.openedBySyn && this.#moveStreamStart(state, -start)) {
      start = 0;
    }
    if (start < 0) {
      // Bytes before the stream start: a SYN retransmission with data, or an early
      // segment that would not fit in the buffer. Keep only the part at offset 0 or later.
      bytes = bytes.subarray(Math.min(-start, bytes.length));
      start = 0;
    }

    const end = Math.min(start + bytes.length, this.#maxStreamBytes);
    if (end < start + bytes.length) {
      state.overflowed = true;
    }
    if (end > start) {
      this.#reserve(state, end);
      state.buffer.set(bytes.subarray(0, end - start), start);
      addRange(state.ranges, start, end);
    }
    this.#deliver(state);
  }

  /**
   * Moves the start of a stream whose SYN was not captured back by `shift` bytes, for a
   * segment that precedes every segment seen so far. Returns false when the bytes would no
   * longer fit in the buffer.
   */
  #moveStreamStart(state: StreamState, shift: number): boolean {
    const end = state.ranges.at(-1)?.[1] ?? 0;
    if (shift + end > this.#maxStreamBytes) {
      return false;
    }
    const moved = new Uint8Array(Math.max(shift + end, state.buffer.length));
    moved.set(state.buffer.subarray(0, end), shift);
    state.buffer = moved;
    state.ranges = state.ranges.map(([start, rangeEnd]) => [start + shift, rangeEnd + shift]);
    state.startSequence = ((state.startSequence ?? 0) - shift) >>> 0;
    state.delivered = 0;
    return true;
  }

  #reserve(state: StreamState, length: number): void {
    if (state.buffer.length >= length) {
      return;
    }
    const capacity = Math.min(
      this.#maxStreamBytes,
      Math.max(length, state.buffer.length * 2, 4096),
    );
    const grown = new Uint8Array(capacity);
    grown.set(state.buffer);
    state.buffer = grown;
  }

  #deliver(state: StreamState): void {
    const first = state.ranges[0];
    const contiguous = first !== undefined && first[0] === 0 ? first[1] : 0;
    if (contiguous > state.delivered) {
      state.delivered = contiguous;
      const done = this.#consumer.onPayload(state.info, state.buffer.subarray(0, contiguous));
      if (done) {
        this.#open.delete(state.info.id);
        this.#rememberFinished(state.info.id, state.startSequence);
        return;
      }
    }
    if (state.overflowed && contiguous === this.#maxStreamBytes) {
      this.#endIncomplete(state, 'buffer_full');
    }
  }

  #endIncomplete(state: StreamState, reason: IncompleteReason): void {
    this.#open.delete(state.info.id);
    this.#rememberFinished(state.info.id, state.startSequence);

    const first = state.ranges[0];
    const contiguous = first !== undefined && first[0] === 0 ? first[1] : 0;
    const hasLaterBytes = state.ranges.length > (contiguous > 0 ? 1 : 0);
    this.#consumer.onIncomplete(state.info, {
      reason,
      payload: state.buffer.subarray(0, contiguous),
      gapAt: hasLaterBytes ? contiguous : undefined,
    });
  }

  #rememberFinished(id: string, startSequence: number | undefined): void {
    this.#finished.delete(id);
    this.#finished.set(id, startSequence);
    if (this.#finished.size > this.#maxFinishedStreams) {
      const oldest = this.#finished.keys().next().value;
      if (oldest !== undefined) {
        this.#finished.delete(oldest);
      }
    }
  }
}

/** Adds [start, end) to sorted ranges, merging it with the ranges it overlaps or touches. */
function addRange(ranges: ByteRange[], start: number, end: number): void {
  let mergedStart = start;
  let mergedEnd = end;
  let index = 0;
  while (index < ranges.length && (ranges[index]?.[1] ?? 0) < start) {
    index += 1;
  }
  let removeCount = 0;
  for (let next = ranges[index]; next !== undefined && next[0] <= end; ) {
    mergedStart = Math.min(mergedStart, next[0]);
    mergedEnd = Math.max(mergedEnd, next[1]);
    removeCount += 1;
    next = ranges[index + removeCount];
  }
  ranges.splice(index, removeCount, [mergedStart, mergedEnd]);
}
