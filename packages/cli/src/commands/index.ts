import { blocklistCommand } from './blocklist.js';
import type { CommandDefinition } from './command.js';
import { fingerprintCommand } from './fingerprint.js';

/**
 * Subcommands of `ja4guard`, in the order that help lists them. A new command gets its
 * own module in this folder and one entry here; argument parsing and help text come
 * from its definition.
 */
export const commands: readonly CommandDefinition[] = [fingerprintCommand, blocklistCommand];

export function findCommand(name: string): CommandDefinition | undefined {
  return commands.find((command) => command.name === name);
}
