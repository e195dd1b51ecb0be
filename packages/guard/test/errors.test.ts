import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { GuardError, GuardErrorCode } from '../src/index.js';

const packageRoot = new URL('../', import.meta.url);

async function codesUsedInSource(): Promise<Set<string>> {
  const directory = new URL('src/', packageRoot);
  const codes = new Set<string>();
  for (const file of await readdir(directory, { recursive: true })) {
    if (!file.endsWith('.ts')) continue;
    const text = await readFile(new URL(file, directory), 'utf8');
    for (const match of text.matchAll(/ERR_JA4GUARD_[A-Z0-9_]+/g)) {
      codes.add(match[0]);
    }
  }
  return codes;
}

describe('error codes', () => {
  test('ERRORS.md documents every code', async () => {
    const text = await readFile(new URL('ERRORS.md', packageRoot), 'utf8');
    const headings = new Set(
      [...text.matchAll(/^## (ERR_JA4GUARD_[A-Z0-9_]+)$/gm)].map((match) => match[1]),
    );
    expect(headings).toEqual(new Set(Object.values(GuardErrorCode)));
  });

  test('source uses only listed codes', async () => {
    expect(await codesUsedInSource()).toEqual(new Set(Object.values(GuardErrorCode)));
  });

  test('error carries its fields', () => {
    const cause = new Error('connection refused');
    const error = new GuardError(GuardErrorCode.STORE_UNAVAILABLE, 'Redis did not reply', {
      hint: 'Retry later.',
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('GuardError');
    expect(error.code).toBe('ERR_JA4GUARD_STORE_UNAVAILABLE');
    expect(error.rule).toBeNull();
    expect(error.option).toBeNull();
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('Redis did not reply. Retry later.');
  });
});
