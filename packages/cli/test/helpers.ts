import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { CORPUS_DIR } from '../../../test/helpers/corpus.js';
import { main } from '../src/main.js';

export interface CorpusRow {
  readonly id: string;
  readonly transport: 'tcp' | 'quic' | 'dtls';
  readonly record_hex?: string;
  readonly handshake_hex: string;
  readonly expected: Readonly<Record<string, string>>;
  readonly optional?: boolean;
}

export function corpusPath(fileName: string): string {
  return join(CORPUS_DIR, fileName);
}

export function readCorpus(fileName: string): CorpusRow[] {
  return readFileSync(corpusPath(fileName), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusRow);
}

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Standard output parsed as one JSON object per line. */
  readonly rows: Array<Record<string, unknown>>;
}

/** Runs `main` with in-memory streams and `stdin` as standard input. */
export async function runCli(args: string[], stdin = ''): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdoutChunks: Buffer[] = [];
  const stderrChunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => stdoutChunks.push(chunk));
  stderr.on('data', (chunk: Buffer) => stderrChunks.push(chunk));

  const status = await main(args, { stdin: Readable.from([stdin]), stdout, stderr });
  const output = Buffer.concat(stdoutChunks).toString('utf8');
  let rows: Array<Record<string, unknown>> | undefined;
  return {
    status,
    stdout: output,
    stderr: Buffer.concat(stderrChunks).toString('utf8'),
    // Parsed on first use, because help and version output are not JSON.
    get rows() {
      rows ??= output
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      return rows;
    },
  };
}

export function errorOf(row: Record<string, unknown> | undefined): Record<string, unknown> {
  return (row?.error ?? {}) as Record<string, unknown>;
}
