import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ParseErrorCode } from '../src/index.js';

// ERRORS.md documents every error code of this package, one `## ERR_...`
// section each. These tests keep the page and the source in step.

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIR = join(PACKAGE_DIR, 'src');
const ERRORS_PAGE = readFileSync(join(PACKAGE_DIR, 'ERRORS.md'), 'utf8');

/** Lists the .ts files under `dir`, recursively. */
function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) files.push(path);
  }
  return files;
}

/** Collects every quoted `ERR_*` string literal in the package source. */
function codesInSource(): Set<string> {
  const codes = new Set<string>();
  for (const file of sourceFiles(SOURCE_DIR)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/['"`](ERR_[A-Z0-9_]+)['"`]/g)) codes.add(match[1]!);
  }
  return codes;
}

/** Splits ERRORS.md into its level-2 sections, keyed by heading. */
function sections(): Map<string, string> {
  const result = new Map<string, string>();
  const parts = ERRORS_PAGE.split(/^## /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    result.set(part.slice(0, newline).trim(), part.slice(newline + 1));
  }
  return result;
}

describe('ERRORS.md', () => {
  const documented = sections();
  const headings = [...documented.keys()];

  it('has one section per code in the source', () => {
    const inSource = [...codesInSource()].sort();
    expect(inSource.length).toBeGreaterThanOrEqual(Object.values(ParseErrorCode).length);
    expect([...headings].sort()).toEqual(inSource);
  });

  it('has a section for every ParseErrorCode', () => {
    for (const code of Object.values(ParseErrorCode)) {
      expect(headings, code).toContain(code);
    }
  });

  it('has no duplicate headings', () => {
    const headingLines = ERRORS_PAGE.match(/^## .*$/gm) ?? [];
    expect(headingLines.length).toBe(new Set(headingLines).size);
  });

  it.each(headings)('%s says when, example and what to do', (heading) => {
    const body = documented.get(heading)!;
    expect(body, heading).toContain('**When it fires.**');
    expect(body, heading).toContain('**Example.**');
    expect(body, heading).toContain('**What to do.**');
  });
});
