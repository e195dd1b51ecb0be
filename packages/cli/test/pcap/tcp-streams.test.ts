import { describe, expect, it } from 'vitest';
import type { TcpSegment } from '../../src/pcap/packets.js';
import {
  type IncompleteStream,
  type StreamConsumer,
  type StreamInfo,
  TcpStreamAssembler,
  type TcpStreamLimits,
} from '../../src/pcap/tcp-streams.js';
import { ACK, FIN, PSH_ACK, SYN } from './builders.js';

const CLIENT = '10.0.0.1:40000 -> 10.0.0.2:443';
const SERVER = '10.0.0.2:443 -> 10.0.0.1:40000';
const message = Uint8Array.from({ length: 40 }, (_, index) => index + 1);

/** Consumer that is done once it has `requiredBytes` bytes, and records every call. */
class RecordingConsumer implements StreamConsumer {
  readonly complete = new Map<string, number[]>();
  readonly incomplete = new Map<string, IncompleteStream & { bytes: number[] }>();
  readonly calls: string[] = [];

  constructor(private readonly requiredBytes = message.length) {}

  onPayload(stream: StreamInfo, payload: Uint8Array): boolean {
    this.calls.push(stream.id);
    if (payload.length < this.requiredBytes) {
      return false;
    }
    this.complete.set(stream.id, Array.from(payload.subarray(0, this.requiredBytes)));
    return true;
  }

  onIncomplete(stream: StreamInfo, incomplete: IncompleteStream): void {
    this.incomplete.set(stream.id, { ...incomplete, bytes: Array.from(incomplete.payload) });
  }
}

function segment(
  sequence: number,
  data: Uint8Array,
  flags = PSH_ACK,
  sourcePort = 40000,
  reverse = false,
): TcpSegment {
  const client = { address: '10.0.0.1', port: sourcePort };
  const server = { address: '10.0.0.2', port: 443 };
  const [source, destination] = reverse ? [server, client] : [client, server];
  return {
    sourceAddress: source.address,
    sourcePort: source.port,
    destinationAddress: destination.address,
    destinationPort: destination.port,
    sequence,
    flags,
    payload: data,
  };
}

function assemble(segments: TcpSegment[], limits?: TcpStreamLimits, requiredBytes?: number) {
  const consumer = new RecordingConsumer(requiredBytes);
  const assembler = new TcpStreamAssembler(consumer, limits);
  for (const item of segments) {
    assembler.push(item);
  }
  assembler.finish();
  return consumer;
}

const empty = new Uint8Array(0);
const isn = 5000;

describe('TcpStreamAssembler', () => {
  it('joins segments in order', () => {
    const consumer = assemble([
      segment(isn, empty, SYN),
      segment(isn + 1, message.subarray(0, 15)),
      segment(isn + 16, message.subarray(15)),
    ]);
    expect(consumer.complete.get(CLIENT)).toEqual(Array.from(message));
    expect(consumer.incomplete.size).toBe(0);
  });

  it('reorders out-of-order segments', () => {
    const consumer = assemble([
      segment(isn, empty, SYN),
      segment(isn + 31, message.subarray(30)),
      segment(isn + 11, message.subarray(10, 30)),
      segment(isn + 1, message.subarray(0, 10)),
    ]);
    expect(consumer.complete.get(CLIENT)).toEqual(Array.from(message));
  });

  it('handles overlapping retransmissions', () => {
    const consumer = assemble([
      segment(isn, empty, SYN),
      segment(isn + 1, message.subarray(0, 20)),
      segment(isn + 1, message.subarray(0, 20)),
      segment(isn + 11, message.subarray(10, 25)),
      segment(isn + 21, message.subarray(20)),
    ]);
    expect(consumer.complete.get(CLIENT)).toEqual(Array.from(message));
  });

  it('wraps sequence numbers at 2^32', () => {
    const start = 0xfffffff0;
    const consumer = assemble([
      segment(start, empty, SYN),
      segment((start + 21) >>> 0, message.subarray(20)),
      segment(start + 1, message.subarray(0, 20)),
    ]);
    expect(consumer.complete.get(CLIENT)).toEqual(Array.from(message));
  });

  it('reads data carried on the SYN', () => {
    const consumer = assemble([segment(isn, message, SYN)]);
    expect(consumer.complete.get(CLIENT)).toEqual(Array.from(message));
  });

  it('ignores a retransmitted SYN', () => {
    const consumer = assemble([
      segment(isn, empty, SYN),
      segment(isn + 1, message.subarray(0, 20)),
      segment(isn, empty, SYN),
      segment(isn + 21, message.subarray(20)),
    ]);
    expect(consumer.complete.get(CLIENT)).toEqual(Array.from(message));
  });

  it('starts a stream without a SYN at its lowest sequence', () => {
    const consumer = assemble([
      segment(9000 + 20, message.subarray(20)),
      segment(9000, message.subarray(0, 20)),
    ]);
    expect(consumer.complete.get(CLIENT)).toEqual(Array.from(message));
  });

  it('keeps data captured before its SYN', () => {
    const consumer = assemble([
      segment(isn + 1, message.subarray(0, 20)),
      segment(isn, empty, SYN),
      segment(isn + 21, message.subarray(20)),
    ]);
    expect(consumer.complete.get(CLIENT)).toEqual(Array.from(message));
  });

  it('ignores the side that sent the SYN-ACK', () => {
    const consumer = assemble([
      segment(isn, empty, SYN),
      segment(7000, empty, SYN | ACK, 40000, true),
      segment(7001, message, PSH_ACK, 40000, true),
      segment(isn + 1, message),
    ]);
    expect(consumer.complete.get(CLIENT)).toEqual(Array.from(message));
    expect(consumer.calls).not.toContain(SERVER);
  });

  it('stops after the consumer is done', () => {
    const consumer = assemble([
      segment(isn, empty, SYN),
      segment(isn + 1, message),
      segment(isn + 41, message),
    ]);
    expect(consumer.calls).toEqual([CLIENT]);
  });

  it('reports a stream closed early', () => {
    const consumer = assemble([
      segment(isn, empty, SYN),
      segment(isn + 1, message.subarray(0, 10)),
      segment(isn + 11, empty, FIN | ACK),
    ]);
    const incomplete = consumer.incomplete.get(CLIENT);
    expect(incomplete?.reason).toBe('closed');
    expect(incomplete?.bytes).toEqual(Array.from(message.subarray(0, 10)));
    expect(incomplete?.gapAt).toBeUndefined();
  });

  it('reports a gap at capture end', () => {
    const consumer = assemble([
      segment(isn, empty, SYN),
      segment(isn + 1, message.subarray(0, 10)),
      segment(isn + 21, message.subarray(20)),
    ]);
    const incomplete = consumer.incomplete.get(CLIENT);
    expect(incomplete?.reason).toBe('capture_ended');
    expect(incomplete?.gapAt).toBe(10);
    expect(incomplete?.payload.length).toBe(10);
  });

  it('reports a missing first segment as a gap', () => {
    const consumer = assemble([segment(isn, empty, SYN), segment(isn + 11, message.subarray(10))]);
    expect(consumer.incomplete.get(CLIENT)?.gapAt).toBe(0);
  });

  it('starts a new stream on a new SYN', () => {
    const consumer = assemble([
      segment(isn, empty, SYN),
      segment(isn + 1, message),
      segment(90000, empty, SYN),
      segment(90001, message.subarray(0, 5)),
    ]);
    expect(consumer.complete.get(CLIENT)).toEqual(Array.from(message));
    expect(consumer.incomplete.get(CLIENT)?.bytes).toEqual(Array.from(message.subarray(0, 5)));
  });

  it('stops at the stream byte limit', () => {
    const consumer = assemble(
      [segment(isn, empty, SYN), segment(isn + 1, message)],
      { maxStreamBytes: 16 },
      100,
    );
    const incomplete = consumer.incomplete.get(CLIENT);
    expect(incomplete?.reason).toBe('buffer_full');
    expect(incomplete?.bytes).toEqual(Array.from(message.subarray(0, 16)));
  });

  it('evicts the oldest open stream', () => {
    const consumer = assemble(
      [
        segment(isn, message.subarray(0, 5), SYN, 40001),
        segment(isn, message.subarray(0, 5), SYN, 40002),
        segment(isn, message.subarray(0, 5), SYN, 40003),
      ],
      { maxOpenStreams: 2 },
    );
    expect(consumer.incomplete.get('10.0.0.1:40001 -> 10.0.0.2:443')?.reason).toBe('evicted');
    expect(consumer.incomplete.get('10.0.0.1:40002 -> 10.0.0.2:443')?.reason).toBe('capture_ended');
    expect(consumer.incomplete.get('10.0.0.1:40003 -> 10.0.0.2:443')?.reason).toBe('capture_ended');
  });

  it('reports openedBySyn', () => {
    const infos: StreamInfo[] = [];
    const assembler = new TcpStreamAssembler({
      onPayload: (stream) => {
        infos.push(stream);
        return true;
      },
      onIncomplete: () => undefined,
    });
    assembler.push(segment(isn, empty, SYN, 40001));
    assembler.push(segment(isn + 1, message, PSH_ACK, 40001));
    assembler.push(segment(isn + 1, message, PSH_ACK, 40002));
    expect(infos.map((info) => info.openedBySyn)).toEqual([true, false]);
  });
});
