import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const packages = ['core', 'guard', 'fastify', 'express', 'cli'];

// `pnpm test` builds every package first. These tests check what a user of
// the published packages gets: the ESM build and its type declarations,
// loaded by plain Node without the TypeScript sources.
describe.each(packages)('@ja4guard/%s as published', (name) => {
  const directory = `${root}packages/${name}/`;
  const manifest = JSON.parse(readFileSync(`${directory}package.json`, 'utf8'));

  it('points its exports at built files', () => {
    const entry = manifest.exports['.'];
    expect(existsSync(`${directory}${entry.default}`), entry.default).toBe(true);
    expect(existsSync(`${directory}${entry.types}`), entry.types).toBe(true);
    expect(manifest.type).toBe('module');
  });

  it('loads in plain Node', async () => {
    const script = `const m = await import('@ja4guard/${name}'); console.log(Object.keys(m).length);`;
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        cwd: root,
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    expect(Number(stdout.trim())).toBeGreaterThan(0);
  });
});
