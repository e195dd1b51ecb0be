import { readFileSync } from 'node:fs';
import { parseCommandArguments } from './arguments.js';
import {
  type CliIo,
  CommandFailure,
  EXIT_FAILURE,
  EXIT_INPUT_ERROR,
  EXIT_SUCCESS,
  EXIT_USAGE_ERROR,
  UsageError,
} from './commands/command.js';
import { commands, findCommand } from './commands/index.js';
import { formatHelp, HELP_OPTION } from './help.js';

export type { CliIo } from './commands/command.js';

/**
 * Runs the `ja4guard` command line and returns the exit status: 0 on success, 1 when
 * some input did not parse or a command could not finish (Redis unreachable, for
 * example), 2 for a usage error. `argv` excludes the node binary and the script path.
 * Usage errors and failures print one line on stderr; nothing is thrown.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      // Messages quoted from other errors may end with a period already.
      const message = error.message.replace(/\.$/, '');
      io.stderr.write(`ja4guard: ${message}. Run 'ja4guard --help' for usage.\n`);
      return EXIT_USAGE_ERROR;
    }
    if (error instanceof CommandFailure) {
      io.stderr.write(`ja4guard: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`ja4guard: unexpected error: ${detail}\n`);
    return EXIT_INPUT_ERROR;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    throw new UsageError('missing command');
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(formatHelp(commands));
    return EXIT_SUCCESS;
  }
  if (name === '--version') {
    io.stdout.write(`${readVersion()}\n`);
    return EXIT_SUCCESS;
  }
  if (name.startsWith('-')) {
    throw new UsageError(`unknown option ${name}; options follow the command name`);
  }

  const command = findCommand(name);
  if (command === undefined) {
    throw new UsageError(`unknown command '${name}'`);
  }
  const parsed = parseCommandArguments(rest, [...command.options, HELP_OPTION], command.name);
  if (parsed.options.has(HELP_OPTION.name)) {
    io.stdout.write(formatHelp(commands));
    return EXIT_SUCCESS;
  }
  return command.run(parsed, io);
}

/** Reads the version from this package's package.json, one folder above src/ and dist/. */
function readVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
