import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));
const cliDirectory = fileURLToPath(new URL('..', import.meta.url));

/**
 * Builds what `bin/ja4guard.js` loads: @ja4guard/core and @ja4guard/guard when their
 * dist/ folder is missing, and this package when its dist/ is missing or older than a
 * file in src/. Tests that spawn the bin call it first, so the bin never runs stale code.
 */
export function buildBin(): void {
  const missing = ['core', 'guard'].filter(
    (name) => !existsSync(join(repositoryRoot, 'packages', name, 'dist', 'index.js')),
  );
  if (missing.length > 0) {
    const filters = missing.flatMap((name) => ['--filter', `@ja4guard/${name}`]);
    runPnpm([...filters, 'build']);
  }
  if (isCliBuildStale()) {
    runPnpm(['--filter', '@ja4guard/cli', 'build']);
  }
}

function isCliBuildStale(): boolean {
  const builtMain = join(cliDirectory, 'dist', 'main.js');
  if (!existsSync(builtMain)) {
    return true;
  }
  const builtAt = statSync(builtMain).mtimeMs;
  const sourceDirectory = join(cliDirectory, 'src');
  return readdirSync(sourceDirectory, { recursive: true, encoding: 'utf8' }).some(
    (file) => file.endsWith('.ts') && statSync(join(sourceDirectory, file)).mtimeMs > builtAt,
  );
}

function runPnpm(args: string[]): void {
  try {
    execFileSync('pnpm', args, { cwd: repositoryRoot, stdio: 'pipe', timeout: 120_000 });
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`pnpm ${args.join(' ')} failed: ${(error as Error).message}\n${output}`);
  }
}
