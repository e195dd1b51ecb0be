import { beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, corpusPath, readCorpus, runCli } from './helpers.js';

const FIRST_PORT = 40000;
const corpusRows = readCorpus('synthetic-edge-clienthellos.jsonl');
const tcpRows = corpusRows
  .map((row, index) => ({ id: row.id, row, port: FIRST_PORT + index }))
  .filter(({ row }) => row.transport === 'tcp' && row.optional !== true);

/** Returns the source port of a `stream` value such as `10.0.0.1:40000 -> 10.0.0.2:443`. */
function sourcePort(stream: unknown): number {
  const match = /:(\d+) -> /.exec(String(stream));
  return match === null ? -1 : Number(match[1]);
}

describe('fingerprint --pcap corpus', () => {
  let result: CliResult;

  beforeAll(async () => {
    result = await runCli([
      'fingerprint',
      '--pcap',
      corpusPath('synthetic-edge-clienthellos.pcap'),
    ]);
  });

  it('exits 0 with one row per TCP stream', () => {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(tcpRows).toHaveLength(40);
    expect(result.rows).toHaveLength(40);
  });

  it.each(tcpRows)('$id', ({ row, port }) => {
    const output = result.rows.find((candidate) => sourcePort(candidate.stream) === port);
    expect(output, `${row.id}: no row for source port ${port}`).toBeDefined();
    expect(output?.error, `${row.id}: ${JSON.stringify(output?.error)}`).toBeUndefined();
    expect(output?.stream, row.id).toBe(`10.0.0.1:${port} -> 10.0.0.2:443`);
    for (const [key, value] of Object.entries(row.expected)) {
      expect(output?.[key], `${row.id}: ${key}`).toBe(value);
    }
  });
});
