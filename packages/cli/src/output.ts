import { once } from 'node:events';

/** The first error of each output stream that `JsonLineWriter` has written to. */
const streamFailures = new WeakMap<NodeJS.WritableStream, Error>();
const watchedStreams = new WeakSet<NodeJS.WritableStream>();

/**
 * Writer of newline-delimited JSON rows that waits for `drain` when the stream buffer is
 * full, so a slow reader of standard output slows the command down instead of filling
 * memory.
 */
export class JsonLineWriter {
  readonly #stream: NodeJS.WritableStream;

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
    watchForFailure(stream);
  }

  /** Whether the stream failed, after which further rows are dropped. */
  get closed(): boolean {
    return streamFailures.has(this.#stream);
  }

  /** Writes `row` as one line of JSON. */
  async write(row: object): Promise<void> {
    if (this.closed) {
      return;
    }
    const hasRoom = this.#stream.write(`${JSON.stringify(row)}\n`);
    if (!hasRoom && !this.closed) {
      // `once` rejects when the stream emits `error` first, which watchForFailure records.
      await once(this.#stream, 'drain').catch(() => undefined);
    }
  }
}

/**
 * Records the stream's first error instead of letting it crash the process. A reader that
 * exits early (`ja4guard ... | head -1`) closes the pipe, and the next write fails with
 * EPIPE, possibly after the command has returned. The listener stays for the life of the
 * stream, and each stream gets only one, however often `main` runs.
 */
function watchForFailure(stream: NodeJS.WritableStream): void {
  if (watchedStreams.has(stream)) {
    return;
  }
  watchedStreams.add(stream);
  stream.on('error', (error: Error) => {
    if (!streamFailures.has(stream)) {
      streamFailures.set(stream, error);
    }
  });
}
