import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBin } from './build.js';
import { readCorpus } from './helpers.js';

const binPath = fileURLToPath(new URL('../bin/ja4guard.js', import.meta.url));
const rows = readCorpus('synthetic-edge-clienthellos.jsonl').slice(0, 3);

describe('ja4guard bin', () => {
  beforeAll(() => {
    buildBin();
  }, 180_000);

  it('fingerprints hex lines from stdin', () => {
    const input = `${rows.map((row) => row.record_hex).join('\n')}\n`;
    const result = spawnSync(process.execPath, [binPath, 'fingerprint'], {
      input,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const output = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(output).toHaveLength(rows.length);
    rows.forEach((row, index) => {
      expect(output[index]?.ja4, row.id).toBe(row.expected.ja4);
      expect(output[index]?.ja3, row.id).toBe(row.expected.ja3);
    });
  });

  it('exits 1 on an error row', () => {
    const result = spawnSync(process.execPath, [binPath, 'fingerprint'], {
      input: 'zz\n',
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout).error.code).toBe('ERR_INVALID_HEX');
  });

  it('exits 2 on a usage error', () => {
    const result = spawnSync(process.execPath, [binPath, 'nonsense'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("unknown command 'nonsense'");
  });
});
