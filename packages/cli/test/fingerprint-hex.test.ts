import { beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, type CorpusRow, errorOf, readCorpus, runCli } from './helpers.js';

const corpusRows = [
  ...readCorpus('foxio-clienthellos.jsonl'),
  ...readCorpus('synthetic-edge-clienthellos.jsonl'),
].filter((row) => row.optional !== true);

const tcpRows = corpusRows.filter((row) => row.transport === 'tcp');
const quicRows = corpusRows.filter((row) => row.transport === 'quic');

const baseline = tcpRows.find((row) => row.id === 'synthetic.pcap#baseline-tls13');
const baselineHex = baseline?.record_hex ?? '';

function expectRowMatches(row: CorpusRow, output: Record<string, unknown> | undefined): void {
  expect(output, `${row.id}: no output row`).toBeDefined();
  expect(output?.error, `${row.id}: ${JSON.stringify(output?.error)}`).toBeUndefined();
  for (const [key, value] of Object.entries(row.expected)) {
    expect(output?.[key], `${row.id}: ${key}`).toBe(value);
  }
}

describe('fingerprint corpus over standard input', () => {
  let tcpResult: CliResult;
  let quicResult: CliResult;

  beforeAll(async () => {
    const tcpInput = tcpRows.map((row) => row.record_hex ?? '').join('\n');
    tcpResult = await runCli(['fingerprint'], `${tcpInput}\n`);
    const quicInput = quicRows.map((row) => row.handshake_hex).join('\n');
    quicResult = await runCli(['fingerprint', '--transport', 'quic'], `${quicInput}\n`);
  });

  it('covers the corpus', () => {
    expect(tcpRows.length).toBe(136);
    expect(quicRows.length).toBe(29);
  });

  it('exits 0 for TCP rows', () => {
    expect(tcpResult.stderr).toBe('');
    expect(tcpResult.status).toBe(0);
    expect(tcpResult.rows).toHaveLength(tcpRows.length);
  });

  it.each(tcpRows.map((row, index) => ({ id: row.id, row, index })))(
    'tcp $id',
    ({ row, index }) => {
      expectRowMatches(row, tcpResult.rows[index]);
      expect(tcpResult.rows[index]?.line, row.id).toBe(index + 1);
    },
  );

  it('exits 0 for QUIC rows', () => {
    expect(quicResult.stderr).toBe('');
    expect(quicResult.status).toBe(0);
    expect(quicResult.rows).toHaveLength(quicRows.length);
  });

  it.each(quicRows.map((row, index) => ({ id: row.id, row, index })))(
    'quic $id',
    ({ row, index }) => {
      expectRowMatches(row, quicResult.rows[index]);
    },
  );
});

describe('fingerprint hex input', () => {
  it('prints the six fingerprint keys and the line', async () => {
    const result = await runCli(['fingerprint'], `${baselineHex}\n`);
    expect(Object.keys(result.rows[0] ?? {})).toEqual([
      'line',
      'ja4',
      'ja4_r',
      'ja4_o',
      'ja4_ro',
      'ja3',
      'ja3_full',
    ]);
  });

  it('accepts prefix, separators, case and CRLF', async () => {
    const pairs = baselineHex.match(/../g) ?? [];
    const variants = [
      `  0x${baselineHex}  `,
      pairs.join(':'),
      pairs.join(' '),
      baselineHex.toUpperCase(),
      `0X${pairs.join(' ').toUpperCase()}`,
    ];
    const result = await runCli(['fingerprint'], `${variants.join('\r\n')}\r\n`);
    expect(result.status).toBe(0);
    expect(result.rows).toHaveLength(variants.length);
    for (const row of result.rows) {
      expect(row.ja4).toBe(baseline?.expected.ja4);
    }
  });

  it('skips blank lines and keeps line numbers', async () => {
    const result = await runCli(['fingerprint'], `\n   \n${baselineHex}\n\n${baselineHex}`);
    expect(result.status).toBe(0);
    expect(result.rows.map((row) => row.line)).toEqual([3, 5]);
  });

  it('prints nothing for empty input', async () => {
    const result = await runCli(['fingerprint'], '');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
  });
});

describe('fingerprint error rows', () => {
  let result: CliResult;
  const truncatedHex = baselineHex.slice(0, 80);

  beforeAll(async () => {
    const lines = ['16030100zz', '1603010', truncatedHex, baselineHex, 'not hex at all'];
    result = await runCli(['fingerprint'], `${lines.join('\n')}\n`);
  });

  it('exits 1 and continues after errors', () => {
    expect(result.status).toBe(1);
    expect(result.rows).toHaveLength(5);
    expect(result.rows[3]?.ja4).toBe(baseline?.expected.ja4);
  });

  it('reports a non-hex character', () => {
    const error = errorOf(result.rows[0]);
    expect(error.code).toBe('ERR_INVALID_HEX');
    expect(error.offset).toBe(8);
    expect(typeof error.message).toBe('string');
    expect(result.rows[0]?.line).toBe(1);
  });

  it('reports an odd number of digits', () => {
    const error = errorOf(result.rows[1]);
    expect(error.code).toBe('ERR_ODD_HEX_LENGTH');
    expect(error.offset).toBe(0);
  });

  it('reports a truncated ClientHello', () => {
    const error = errorOf(result.rows[2]);
    expect(error.code).toBe('ERR_TRUNCATED');
    expect(error.offset).toBe(40);
    expect(Object.keys(error)).toEqual(['code', 'offset', 'message']);
  });

  it('reports text that is not hex', () => {
    const error = errorOf(result.rows[4]);
    expect(error.code).toBe('ERR_INVALID_HEX');
    expect(error.offset).toBe(0);
  });

  it('reports bytes that are not TLS', async () => {
    const notTls = await runCli(['fingerprint'], '474554202f20485454502f312e310d0a\n');
    expect(notTls.status).toBe(1);
    expect(errorOf(notTls.rows[0]).code).toBe('ERR_NOT_TLS');
  });
});
