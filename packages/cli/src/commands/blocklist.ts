import {
  type BlocklistAddOptions,
  type BlocklistEntry,
  type BlocklistEntryKind,
  createGuard,
  DEFAULT_KEY_PREFIX,
  type GuardBlocklist,
} from '@ja4guard/guard';
import { runBlocklistSession } from '../blocklist-session.js';
import {
  DEFAULT_REDIS_URL,
  parseRedisTarget,
  REDIS_URL_VARIABLE,
  type RedisTarget,
} from '../redis.js';
import {
  type CliIo,
  type CommandDefinition,
  EXIT_SUCCESS,
  type ParsedArguments,
  UsageError,
} from './command.js';

const SUBCOMMANDS = ['add', 'remove', 'list'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** Options that only one subcommand accepts. */
const SUBCOMMAND_OPTIONS: Readonly<Record<string, Subcommand>> = {
  ttl: 'add',
  reason: 'add',
  json: 'list',
};

const DEFAULT_TIMEOUT_SECONDS = 10;
/** Maximum --timeout, because setTimeout fires at once for delays above 2^31 - 1 ms. */
const MAX_TIMEOUT_SECONDS = 2_147_483;
/** Maximum time a JavaScript Date can represent, in milliseconds since the Unix epoch. */
const MAX_DATE_MS = 8.64e15;

export const blocklistCommand: CommandDefinition = {
  name: 'blocklist',
  summary: 'Add, remove or list entries of the blocklist that guards share through Redis.',
  synopsis: [
    'blocklist add VALUE [--ttl SECONDS] [--reason TEXT]',
    'blocklist remove VALUE',
    'blocklist list [--json]',
  ],
  options: [
    {
      name: 'ttl',
      valueName: 'SECONDS',
      description:
        'add: remove the entry after this many seconds, in Redis and on every guard. A whole number of at least 1.',
      defaultValue: 'never',
    },
    {
      name: 'reason',
      valueName: 'TEXT',
      description: 'add: free text stored with the entry and printed by list.',
    },
    { name: 'json', description: 'list: print the entries as one JSON array.' },
    {
      name: 'redis',
      valueName: 'URL',
      description: `Redis server, as redis://[USER:PASSWORD@]HOST:PORT[/DB], or rediss:// for TLS. With --cluster, a comma-separated list of cluster nodes. Without --redis, the ${REDIS_URL_VARIABLE} environment variable is read.`,
      defaultValue: DEFAULT_REDIS_URL,
    },
    {
      name: 'cluster',
      description:
        'Connect to a Redis Cluster, with the --redis URLs as startup nodes, such as redis://h1:7000,redis://h2:7000.',
    },
    {
      name: 'key-prefix',
      valueName: 'PREFIX',
      description:
        'Prefix of the Redis keys and the pub/sub channel. It must equal the keyPrefix option of the guards that read the blocklist.',
      defaultValue: `'${DEFAULT_KEY_PREFIX}'`,
    },
    {
      name: 'timeout',
      valueName: 'SECONDS',
      description:
        'Time the whole command may take, from connecting to the last reply, before it fails with exit status 1.',
      defaultValue: String(DEFAULT_TIMEOUT_SECONDS),
    },
  ],
  details: [
    'Every blocklist subcommand also takes the connection options --redis, --cluster, --key-prefix and --timeout.',
    'VALUE is an exact JA4 (t13d1516h2_8daaf6152771_e5627efa2ab1), a JA4 pattern with * or ? (t13d*_8daaf6152771_*), or a JA4 with one client IP written JA4|IP (quote it in the shell). The guard validates VALUE before the command connects to Redis, and an invalid VALUE is a usage error that carries the guard error code, such as ERR_JA4GUARD_INVALID_JA4.',
    'add and remove write the same Redis keys and publish the same pub/sub message as guard.blocklist.add and remove in an app, so running guards with the same key prefix apply the change as the message arrives. A guard that missed the message gets the change at its next full sync (blocklistSyncIntervalMs, default 30 s).',
    'add prints "added VALUE (expires TIME)", or "replaced ..." when VALUE was listed already. remove prints "removed VALUE", or "not found: VALUE" when it was not listed. list prints one line per entry, sorted by value: the value, the expiry time in ISO 8601 (UTC) or never, and the reason or -, separated by tabs. Tabs and line breaks in a reason are printed as spaces. With --json, list prints an array of {value, kind, ja4, ip, reason, addedAt, expiresAt}, with ISO 8601 times and null for no expiry or no reason.',
    'Exit status: 0 on success, also when remove finds no entry; 1 when Redis is unreachable, fails a command, or does not finish within --timeout; 2 for a usage error, including an invalid VALUE or --ttl.',
  ],
  run: runBlocklist,
};

/** A blocklist command line after validation. */
interface BlocklistRequest {
  readonly subcommand: Subcommand;
  /** VALUE as given, for add and remove. */
  readonly value: string | undefined;
  readonly addOptions: BlocklistAddOptions;
  readonly json: boolean;
}

async function runBlocklist(parsed: ParsedArguments, io: CliIo): Promise<number> {
  const request = readRequest(parsed);
  const settings = {
    target: readRedisTarget(parsed),
    keyPrefix: optionString(parsed, 'key-prefix') ?? DEFAULT_KEY_PREFIX,
    timeoutMs:
      readSeconds(parsed, 'timeout', {
        fallback: DEFAULT_TIMEOUT_SECONDS,
        max: MAX_TIMEOUT_SECONDS,
        wholeOnly: false,
      }) * 1000,
    stderr: io.stderr,
  };
  // Validating before connecting makes an invalid VALUE a usage error even while Redis is down.
  const value = request.value === undefined ? undefined : await normalizeValue(request.value);

  const where = `in Redis at ${settings.target.display}`;
  return runBlocklistSession(settings, async (blocklist, progress) => {
    if (request.subcommand === 'list') {
      const entries = blocklist.list().sort(compareByValue);
      io.stdout.write(request.json ? formatJson(entries) : formatLines(entries));
      return EXIT_SUCCESS;
    }
    const canonical = value as NormalizedValue;
    if (request.subcommand === 'add') {
      progress.stage = `adding ${canonical.value} to the blocklist ${where}`;
      await addEntry(blocklist, canonical, request.addOptions, io);
    } else {
      progress.stage = `removing ${canonical.value} from the blocklist ${where}`;
      const existed = await blocklist.remove(canonical.value);
      io.stdout.write(existed ? `removed ${canonical.value}\n` : `not found: ${canonical.value}\n`);
    }
    return EXIT_SUCCESS;
  });
}

async function addEntry(
  blocklist: GuardBlocklist,
  canonical: NormalizedValue,
  options: BlocklistAddOptions,
  io: CliIo,
): Promise<void> {
  const existed = blocklist.has(canonical.value);
  await blocklist.add(canonical.value, options);

  const entry = blocklist.list().find((candidate) => candidate.value === canonical.value);
  const expires = formatExpiry(entry?.expiresAt ?? null);
  io.stdout.write(`${existed ? 'replaced' : 'added'} ${canonical.value} (expires ${expires})\n`);
}

function readRequest(parsed: ParsedArguments): BlocklistRequest {
  const [name, ...values] = parsed.positionals;
  if (name === undefined) {
    throw new UsageError(
      `missing blocklist subcommand; expected one of: ${SUBCOMMANDS.join(', ')}`,
    );
  }
  if (!isSubcommand(name)) {
    throw new UsageError(
      `unknown blocklist subcommand '${name}'; expected one of: ${SUBCOMMANDS.join(', ')}`,
    );
  }

  for (const [option, owner] of Object.entries(SUBCOMMAND_OPTIONS)) {
    if (parsed.options.has(option) && owner !== name) {
      throw new UsageError(`option --${option} applies only to 'blocklist ${owner}'`);
    }
  }

  const takesValue = name !== 'list';
  const [value, extra] = values;
  if (takesValue && value === undefined) {
    throw new UsageError(`missing VALUE for 'blocklist ${name}'`);
  }
  const unexpected = takesValue ? extra : value;
  if (unexpected !== undefined) {
    throw new UsageError(`unexpected argument '${unexpected}' for 'blocklist ${name}'`);
  }

  // The expiry time must fit in a JavaScript Date, which ends in the year 275760.
  const maxTtlSeconds = Math.floor((MAX_DATE_MS - Date.now()) / 1000);
  const ttlSeconds = parsed.options.has('ttl')
    ? readSeconds(parsed, 'ttl', { fallback: 0, max: maxTtlSeconds, wholeOnly: true })
    : undefined;
  const reason = optionString(parsed, 'reason');
  return {
    subcommand: name,
    value,
    addOptions: {
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
      ...(reason === undefined ? {} : { reason }),
    },
    json: parsed.options.has('json'),
  };
}

function isSubcommand(name: string): name is Subcommand {
  return (SUBCOMMANDS as readonly string[]).includes(name);
}

function readRedisTarget(parsed: ParsedArguments): RedisTarget {
  const cluster = parsed.options.has('cluster');
  const option = optionString(parsed, 'redis');
  if (option !== undefined) {
    return parseRedisTarget(option, cluster, '--redis');
  }
  const variable = process.env[REDIS_URL_VARIABLE];
  if (variable !== undefined && variable !== '') {
    return parseRedisTarget(variable, cluster, REDIS_URL_VARIABLE);
  }
  return parseRedisTarget(DEFAULT_REDIS_URL, cluster, 'the default Redis URL');
}

/** Reads a positive number of seconds up to `max`. With `wholeOnly`, fractions are rejected. */
function readSeconds(
  parsed: ParsedArguments,
  name: string,
  options: { fallback: number; max: number; wholeOnly: boolean },
): number {
  const text = optionString(parsed, name);
  if (text === undefined) {
    return options.fallback;
  }
  const pattern = options.wholeOnly ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const seconds = Number(text);
  if (!pattern.test(text) || seconds <= 0 || seconds > options.max) {
    const kind = options.wholeOnly ? 'a whole number of seconds' : 'a number of seconds';
    throw new UsageError(
      `invalid value '${text}' for --${name}; expected ${kind} above 0 and at most ${options.max}`,
    );
  }
  return seconds;
}

/** A VALUE in the guard's canonical form, which is also the hash field in Redis. */
interface NormalizedValue {
  readonly value: string;
  readonly kind: BlocklistEntryKind;
}

/**
 * Validates VALUE with the guard's own parser and returns its canonical form, by adding
 * it to a guard with the in-memory store. Throws UsageError with the GuardError code and
 * message, such as ERR_JA4GUARD_INVALID_JA4, when the guard rejects it.
 */
async function normalizeValue(value: string): Promise<NormalizedValue> {
  const guard = createGuard();
  try {
    await guard.blocklist.add(value);
    const [entry] = guard.blocklist.list();
    if (entry === undefined) {
      throw new Error(`the in-memory blocklist did not keep '${value}'`);
    }
    return { value: entry.value, kind: entry.kind };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof Error && typeof code === 'string' && code.startsWith('ERR_JA4GUARD_')) {
      throw new UsageError(`invalid VALUE: ${code}: ${error.message}`);
    }
    throw error;
  } finally {
    await guard.close();
  }
}

function compareByValue(left: BlocklistEntry, right: BlocklistEntry): number {
  if (left.value === right.value) {
    return 0;
  }
  return left.value < right.value ? -1 : 1;
}

function formatLines(entries: readonly BlocklistEntry[]): string {
  return entries
    .map((entry) => {
      const reason = entry.reason === null ? '-' : entry.reason.replace(/[\t\r\n]/g, ' ');
      return `${entry.value}\t${formatExpiry(entry.expiresAt)}\t${reason}\n`;
    })
    .join('');
}

function formatJson(entries: readonly BlocklistEntry[]): string {
  const rows = entries.map((entry) => ({
    value: entry.value,
    kind: entry.kind,
    ja4: entry.ja4,
    ip: entry.ip,
    reason: entry.reason,
    addedAt: new Date(entry.addedAt).toISOString(),
    expiresAt: entry.expiresAt === null ? null : new Date(entry.expiresAt).toISOString(),
  }));
  return `${JSON.stringify(rows, null, 2)}\n`;
}

function formatExpiry(expiresAt: number | null): string {
  return expiresAt === null ? 'never' : new Date(expiresAt).toISOString();
}

function optionString(parsed: ParsedArguments, name: string): string | undefined {
  const value = parsed.options.get(name);
  return typeof value === 'string' ? value : undefined;
}
