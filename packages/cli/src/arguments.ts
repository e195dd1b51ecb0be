import { type OptionSpec, type ParsedArguments, UsageError } from './commands/command.js';

/**
 * Parses the arguments that follow a command name against the command's options.
 *
 * Options take the forms `--name value` and `--name=value`, and `--` ends the options.
 * An option given twice, an unknown option, a missing value and a value outside
 * `choices` all throw UsageError with a message that names the option.
 */
export function parseCommandArguments(
  args: readonly string[],
  specs: readonly OptionSpec[],
  commandName: string,
): ParsedArguments {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];

  for (let index = 0; index < args.length; index += 1) {
    const argument = args[index] ?? '';
    if (argument === '--') {
      positionals.push(...args.slice(index + 1));
      break;
    }
    if (!argument.startsWith('-') || argument === '-') {
      positionals.push(argument);
      continue;
    }

    const { name, inlineValue } = splitOption(argument);
    const spec = specs.find((candidate) => candidate.name === name);
    if (spec === undefined) {
      throw new UsageError(`unknown option ${argument} for '${commandName}'`);
    }
    if (options.has(spec.name)) {
      throw new UsageError(`option --${spec.name} is given more than once`);
    }

    if (spec.valueName === undefined) {
      if (inlineValue !== undefined) {
        throw new UsageError(`option --${spec.name} takes no value, but got '${inlineValue}'`);
      }
      options.set(spec.name, true);
      continue;
    }

    let value = inlineValue;
    if (value === undefined) {
      const next = args[index + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        index += 1;
      }
    }
    options.set(spec.name, checkValue(spec, value));
  }

  return { options, positionals };
}

/** Splits `--name=value` and maps the short form `-h` to `help`. */
function splitOption(argument: string): { name: string; inlineValue: string | undefined } {
  if (argument === '-h') {
    return { name: 'help', inlineValue: undefined };
  }
  if (!argument.startsWith('--')) {
    return { name: argument, inlineValue: undefined };
  }
  const equals = argument.indexOf('=');
  if (equals === -1) {
    return { name: argument.slice(2), inlineValue: undefined };
  }
  return { name: argument.slice(2, equals), inlineValue: argument.slice(equals + 1) };
}

function checkValue(spec: OptionSpec, value: string | undefined): string {
  if (value === undefined || value === '') {
    throw new UsageError(`option --${spec.name} requires a value (${spec.valueName})`);
  }
  if (spec.choices !== undefined && !spec.choices.includes(value)) {
    throw new UsageError(
      `invalid value '${value}' for --${spec.name}; expected one of: ${spec.choices.join(', ')}`,
    );
  }
  return value;
}
