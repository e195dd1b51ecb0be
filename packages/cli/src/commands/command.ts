/** Standard streams of one command run; tests pass in-memory streams. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Command-line option, used both to parse arguments and to print help. */
export interface OptionSpec {
  /** Long name without the dashes, such as `transport`. */
  readonly name: string;
  /** Placeholder of the value in help text, such as `PATH`; absent for a flag. */
  readonly valueName?: string;
  /** Accepted values; any other value is a usage error. */
  readonly choices?: readonly string[];
  /** Help text: the setting that the option controls, and its unit. */
  readonly description: string;
  /** Value used when the option is absent, for help text. */
  readonly defaultValue?: string;
}

/** Options and positional arguments of one command, after parsing. */
export interface ParsedArguments {
  /** Option values by long name; flags map to `true`. */
  readonly options: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
}

/** Subcommand of `ja4guard`. */
export interface CommandDefinition {
  readonly name: string;
  /** One line for the command list in help text. */
  readonly summary: string;
  /** Synopsis lines without the program name, such as `fingerprint [--file PATH]`. */
  readonly synopsis: readonly string[];
  readonly options: readonly OptionSpec[];
  /** Paragraphs of help text after the options: input, output and exit status. */
  readonly details: readonly string[];
  /** Runs the command and returns the exit status. Throws UsageError for bad arguments. */
  run(parsed: ParsedArguments, io: CliIo): Promise<number>;
}

/** Error for a command line that cannot run: the main function prints it and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Error for a command that could not finish, such as one whose server is unreachable:
 * the main function prints the message and exits with 1.
 */
export class CommandFailure extends Error {
  override readonly name: string = 'CommandFailure';
}

export const EXIT_SUCCESS = 0;
/** Some input could not be parsed; the output has an error row or stderr has a message. */
export const EXIT_INPUT_ERROR = 1;
/** The command could not finish, for example because Redis was unreachable, and wrote the reason to stderr. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE_ERROR = 2;
