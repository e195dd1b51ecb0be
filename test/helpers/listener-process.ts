import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { waitForPort } from './net.js';

/** A server process started by a test, such as HAProxy or nginx. */
export interface ListenerProcess {
  /** Stops the process with SIGTERM and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `command` and resolves once it accepts connections on
 * 127.0.0.1:`port`. On a timeout the error carries the process's output.
 */
export async function startListener(
  command: string,
  args: string[],
  port: number,
  env: Record<string, string> = {},
): Promise<ListenerProcess> {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitForPort(port, 10_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}; ${command} output:\n${output}`);
  }
  return { stop };
}
