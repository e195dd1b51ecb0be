import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Folder of the ClientHello conformance corpus, read in place: `shared/corpus/`
 * next to the repository, or JA4GUARD_CORPUS_DIR.
 */
export const CORPUS_DIR =
  process.env.JA4GUARD_CORPUS_DIR ??
  fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

export const CORPUS_FILES = ['foxio-clienthellos.jsonl', 'synthetic-edge-clienthellos.jsonl'];

export type ExpectedKey = 'ja4' | 'ja4_r' | 'ja4_o' | 'ja4_ro' | 'ja3' | 'ja3_full';

/** One corpus row: a ClientHello and the values the product must compute for it. */
export interface CorpusRow {
  id: string;
  file: string;
  transport: 'tcp' | 'quic' | 'dtls';
  record_hex?: string;
  handshake_hex: string;
  expected: Partial<Record<ExpectedKey, string>>;
  optional?: boolean;
  notes?: string;
  extraction?: { nrecords: number; nsegments: number };
}

/** Reads every row of the corpus files. */
export function readCorpus(): CorpusRow[] {
  const rows: CorpusRow[] = [];
  for (const file of CORPUS_FILES) {
    const text = readFileSync(join(CORPUS_DIR, file), 'utf8');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      rows.push({ ...(JSON.parse(line) as Omit<CorpusRow, 'file'>), file });
    }
  }
  return rows;
}
