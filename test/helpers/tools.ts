import { spawnSync } from 'node:child_process';

/**
 * Tells whether a command-line tool runs here. In CI (CI set) a missing tool
 * throws, so the tests that need it fail instead of being skipped.
 */
export function hasTool(command: string, versionArgs: string[] = ['--version']): boolean {
  const result = spawnSync(command, versionArgs, { stdio: 'ignore', timeout: 5_000 });
  const found = result.error === undefined && result.status !== null;
  if (!found && process.env.CI !== undefined) {
    throw new Error(
      `${command} is not installed, and CI requires it for the real-client tests. Install it (Debian: apt-get install ${command}).`,
    );
  }
  return found;
}
