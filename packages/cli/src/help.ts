import type { CommandDefinition, OptionSpec } from './commands/command.js';

/** Option that every command accepts; `main` handles it before the command runs. */
export const HELP_OPTION: OptionSpec = { name: 'help', description: 'Print this help and exit.' };

/** Builds the help text for `ja4guard --help`, which covers every command. */
export function formatHelp(commands: readonly CommandDefinition[]): string {
  const lines = [
    'Usage: ja4guard <command> [options]',
    '',
    'Commands:',
    ...formatColumns([
      ...commands.map((command): [string, string] => [command.name, command.summary]),
      ['help', 'Print this help.'],
    ]),
    '',
    'Global options:',
    ...formatColumns([
      ['-h, --help', 'Print this help and exit.'],
      ['--version', 'Print the version of ja4guard and exit.'],
    ]),
  ];

  for (const command of commands) {
    lines.push('', ...command.synopsis.map((synopsis) => `ja4guard ${synopsis}`), '');
    lines.push(...formatColumns([...command.options, HELP_OPTION].map(optionColumns)));
    for (const paragraph of command.details) {
      lines.push('', ...wrap(paragraph, 80));
    }
  }
  return `${lines.join('\n')}\n`;
}

function optionColumns(option: OptionSpec): [string, string] {
  const name =
    option.valueName === undefined ? `--${option.name}` : `--${option.name} ${option.valueName}`;
  const fallback = option.defaultValue === undefined ? '' : ` Default: ${option.defaultValue}.`;
  return [name, `${option.description}${fallback}`];
}

/** Lays out [term, description] pairs in two columns, wrapping descriptions at 80 columns. */
function formatColumns(rows: ReadonlyArray<readonly [string, string]>): string[] {
  const indent = 2;
  const termWidth = Math.max(...rows.map(([term]) => term.length)) + 2;
  const lines: string[] = [];
  for (const [term, description] of rows) {
    const wrapped = wrap(description, 80 - indent - termWidth);
    wrapped.forEach((text, index) => {
      const left = index === 0 ? term.padEnd(termWidth) : ' '.repeat(termWidth);
      lines.push(`${' '.repeat(indent)}${left}${text}`);
    });
  }
  return lines;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  lines.push(current);
  return lines;
}
