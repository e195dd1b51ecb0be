import type { CommandDefinition } from './command.js';
import { fingerprintCommand } from './fingerprint.js';

/**
 * Subcommands of `ja4guard`, in the order that help lists them. A new command gets its
 * own module in this folder and one entry here; argument parsing and help text come
 * from its definition. The blocklist administration commands (`blocklist add`, `remove`
 * and `list`, against the Redis store of @ja4guard/guard) belong here once they exist.
 */
export const commands: readonly CommandDefinition[] = [fingerprintCommand];

export function findCommand(name: string): CommandDefinition | undefined {
  return commands.find((command) => command.name === name);
}
