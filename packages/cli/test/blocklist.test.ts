import { createServer, type Server, type Socket } from 'node:net';
import { createGuard, type Guard, redisStore } from '@ja4guard/guard';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CHROME_JA4,
  CURL_JA4,
  context,
  fingerprint,
  waitFor,
} from '../../guard/test/helpers/context.js';
import {
  checkRedis,
  createClient,
  deleteKeys,
  SHARED_REDIS_PORT,
  uniquePrefix,
  waitUntilReady,
} from '../../guard/test/helpers/redis.js';
import {
  createTempDirectory,
  freePort,
  type RedisServer,
  removeDirectory,
  startRedisServer,
} from '../../guard/test/helpers/redis-server.js';
import { type CliResult, runCli } from './helpers.js';

const REDIS_URL = `redis://127.0.0.1:${SHARED_REDIS_PORT}`;
/** How soon a running guard must apply a change that the command published. */
const PROPAGATION_MS = 1000;
/** Default --timeout of the command, in milliseconds. */
const COMMAND_DEADLINE_MS = 10_000;
const PATTERN = 't12d*_AAAAAAAAAAAA_*';
const PATTERN_CANONICAL = 't12d*_aaaaaaaaaaaa_*';
const PATTERN_MATCH = 't12d1516h2_aaaaaaaaaaaa_bbbbbbbbbbbb';

const redis = await checkRedis();

/** Returns stdout split into lines, without the final empty line. */
function lines(result: CliResult): string[] {
  return result.stdout.split('\n').filter((line) => line !== '');
}

describe.skipIf(!redis.available)(
  `blocklist command with Redis${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    let admin: Redis;
    let client: Redis;
    let guard: Guard;
    let prefix: string;

    /** Runs `ja4guard blocklist ...` against the shared Redis with this test's key prefix. */
    function blocklist(...args: string[]): Promise<CliResult> {
      return runCli(['blocklist', ...args, '--redis', REDIS_URL, '--key-prefix', prefix]);
    }

    beforeAll(async () => {
      admin = createClient();
      await waitUntilReady(admin);
    });

    beforeEach(async () => {
      prefix = uniquePrefix();
      client = createClient();
      await waitUntilReady(client);
      // A full sync only every minute, so a change seen within a second came over pub/sub.
      guard = createGuard({
        store: redisStore(client),
        keyPrefix: prefix,
        blocklistSyncIntervalMs: 60_000,
      });
      await guard.ready();
    });

    afterEach(async () => {
      await guard.close();
      client.disconnect();
      await deleteKeys(admin, prefix);
    });

    afterAll(async () => {
      await admin.quit();
    });

    it('add reaches a running guard', async () => {
      const result = await blocklist('add', CHROME_JA4, '--reason', 'scraper');
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(`added ${CHROME_JA4} (expires never)\n`);

      const seen = await waitFor(() => guard.blocklist.has(CHROME_JA4), PROPAGATION_MS, 10);
      expect(seen).toBe(true);
      const decision = await guard.check(context());
      expect(decision.action).toBe('block');
      expect(decision.reason).toBe('blocklist');
    });

    it('list prints tab-separated lines', async () => {
      await blocklist('add', CHROME_JA4, '--reason', 'scraper\tfrom\nlogs');
      await blocklist('add', CURL_JA4);

      const result = await blocklist('list');
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      // Sorted by value; tabs and line breaks in the reason become spaces.
      expect(lines(result)).toEqual([
        `${CHROME_JA4}\tnever\tscraper from logs`,
        `${CURL_JA4}\tnever\t-`,
      ]);
    });

    it('list --json prints an array', async () => {
      const before = Date.now();
      await blocklist('add', CHROME_JA4, '--reason', 'scraper');

      const result = await blocklist('list', '--json');
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const entries = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
      expect(entries).toHaveLength(1);
      const [entry] = entries;
      expect(entry).toMatchObject({
        value: CHROME_JA4,
        kind: 'ja4',
        ja4: CHROME_JA4,
        ip: null,
        reason: 'scraper',
        expiresAt: null,
      });
      const addedAt = Date.parse(String(entry?.addedAt));
      expect(addedAt).toBeGreaterThanOrEqual(before);
      expect(addedAt).toBeLessThanOrEqual(Date.now());
    });

    it('list of an empty blocklist', async () => {
      const text = await blocklist('list');
      expect(text.status).toBe(0);
      expect(text.stdout).toBe('');
      const json = await blocklist('list', '--json');
      expect(json.status).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual([]);
    });

    it('add --ttl expires the entry', async () => {
      const before = Date.now();
      const result = await blocklist('add', CURL_JA4, '--ttl', '1');
      expect(result.status).toBe(0);
      const match = /^added (\S+) \(expires (\S+)\)\n$/.exec(result.stdout);
      expect(match?.[1]).toBe(CURL_JA4);
      const expiresAt = Date.parse(match?.[2] ?? '');
      expect(expiresAt).toBeGreaterThanOrEqual(before + 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 1000);

      const listed = await blocklist('list', '--json');
      const [entry] = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
      expect(entry?.expiresAt).toBe(new Date(expiresAt).toISOString());

      expect(await waitFor(() => guard.blocklist.has(CURL_JA4), PROPAGATION_MS, 10)).toBe(true);
      expect(await waitFor(() => !guard.blocklist.has(CURL_JA4), 2500, 20)).toBe(true);

      const after = await blocklist('list');
      expect(after.status).toBe(0);
      expect(after.stdout).toBe('');
      // The sync that list runs deletes expired entries from the hash that holds the blocklist.
      expect(await admin.hexists(`${prefix}{blocklist}:entries`, CURL_JA4)).toBe(0);
    });

    it('add of a listed value replaces it', async () => {
      await blocklist('add', CHROME_JA4, '--ttl', '600', '--reason', 'first');
      const result = await blocklist('add', CHROME_JA4, '--reason', 'second');
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(`replaced ${CHROME_JA4} (expires never)\n`);

      const listed = await blocklist('list');
      expect(lines(listed)).toEqual([`${CHROME_JA4}\tnever\tsecond`]);
    });

    it('remove deletes the entry everywhere', async () => {
      await blocklist('add', CHROME_JA4);
      expect(await waitFor(() => guard.blocklist.has(CHROME_JA4), PROPAGATION_MS, 10)).toBe(true);

      const removed = await blocklist('remove', CHROME_JA4);
      expect(removed.stderr).toBe('');
      expect(removed.status).toBe(0);
      expect(removed.stdout).toBe(`removed ${CHROME_JA4}\n`);
      expect(await waitFor(() => !guard.blocklist.has(CHROME_JA4), PROPAGATION_MS, 10)).toBe(true);
      expect((await blocklist('list')).stdout).toBe('');

      const again = await blocklist('remove', CHROME_JA4);
      expect(again.status).toBe(0);
      expect(again.stdout).toBe(`not found: ${CHROME_JA4}\n`);
    });

    it('pattern value blocks matching JA4s', async () => {
      const result = await blocklist('add', PATTERN);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(`added ${PATTERN_CANONICAL} (expires never)\n`);
      expect(await waitFor(() => guard.blocklist.has(PATTERN), PROPAGATION_MS, 10)).toBe(true);

      const matching = await guard.check(
        context({ fingerprint: fingerprint({ ja4: PATTERN_MATCH }) }),
      );
      expect(matching.action).toBe('block');
      expect(matching.key).toBe(PATTERN_CANONICAL);
      const other = await guard.check(context());
      expect(other.action).toBe('pass');

      const listed = JSON.parse((await blocklist('list', '--json')).stdout);
      expect(listed[0]?.kind).toBe('pattern');

      const removed = await blocklist('remove', PATTERN);
      expect(removed.stdout).toBe(`removed ${PATTERN_CANONICAL}\n`);
      expect(await waitFor(() => !guard.blocklist.has(PATTERN), PROPAGATION_MS, 10)).toBe(true);
    });

    it('JA4|IP value blocks one client', async () => {
      const value = `${CURL_JA4}|2001:DB8:0::1`;
      const canonical = `${CURL_JA4}|2001:db8::1`;
      const result = await blocklist('add', value);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(`added ${canonical} (expires never)\n`);
      expect(await waitFor(() => guard.blocklist.has(canonical), PROPAGATION_MS, 10)).toBe(true);

      const curl = fingerprint({ ja4: CURL_JA4 });
      const listedClient = await guard.check(context({ fingerprint: curl, ip: '2001:db8::1' }));
      expect(listedClient.action).toBe('block');
      const otherClient = await guard.check(context({ fingerprint: curl, ip: '2001:db8::2' }));
      expect(otherClient.action).toBe('pass');

      const [entry] = JSON.parse((await blocklist('list', '--json')).stdout);
      expect(entry).toMatchObject({ value: canonical, kind: 'ja4+ip', ip: '2001:db8::1' });

      const removed = await blocklist('remove', value);
      expect(removed.stdout).toBe(`removed ${canonical}\n`);
    });

    it('JA4GUARD_REDIS_URL selects the server', async () => {
      vi.stubEnv('JA4GUARD_REDIS_URL', REDIS_URL);
      try {
        const result = await runCli(['blocklist', 'add', CHROME_JA4, '--key-prefix', prefix]);
        expect(result.status).toBe(0);
      } finally {
        vi.unstubAllEnvs();
      }
      expect(await waitFor(() => guard.blocklist.has(CHROME_JA4), PROPAGATION_MS, 10)).toBe(true);
    });

    it('other key prefix stays separate', async () => {
      const otherPrefix = uniquePrefix();
      try {
        const result = await runCli([
          'blocklist',
          'add',
          CHROME_JA4,
          '--redis',
          REDIS_URL,
          '--key-prefix',
          otherPrefix,
        ]);
        expect(result.status).toBe(0);
        expect((await blocklist('list')).stdout).toBe('');
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(guard.blocklist.has(CHROME_JA4)).toBe(false);
      } finally {
        await deleteKeys(admin, otherPrefix);
      }
    });
  },
);

describe.skipIf(!redis.available)(
  `blocklist command with failing Redis commands${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    let server: RedisServer;
    let admin: Redis;
    let directory = '';

    beforeAll(async () => {
      directory = await createTempDirectory();
      server = await startRedisServer(await freePort(), directory);
      admin = createClient(server.port);
      await waitUntilReady(admin);
      // Users that may connect but lack one command each: HSCAN, which every full sync runs,
      // and PUBLISH, which add sends inside its MULTI transaction.
      await admin.call('ACL', 'SETUSER', 'noscan', 'on', '>secret', '~*', '&*', '+@all', '-hscan');
      await admin.call(
        'ACL',
        'SETUSER',
        'nopublish',
        'on',
        '>secret',
        '~*',
        '&*',
        '+@all',
        '-publish',
      );
    });

    afterAll(async () => {
      admin.disconnect();
      await server.stop();
      await removeDirectory(directory);
    });

    it('failed sync exits 1', async () => {
      const url = `redis://noscan:secret@127.0.0.1:${server.port}`;
      const result = await runCli(['blocklist', 'list', '--redis', url]);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      const [line, ...rest] = result.stderr.trimEnd().split('\n');
      expect(rest).toEqual([]);
      expect(line).toMatch(
        `ja4guard: failed while loading the blocklist from Redis at redis://noscan:***@127.0.0.1:${server.port}: NOPERM`,
      );
      expect(line).not.toContain('secret');
    });

    it('failed add exits 1', async () => {
      const url = `redis://nopublish:secret@127.0.0.1:${server.port}`;
      const result = await runCli(['blocklist', 'add', CHROME_JA4, '--redis', url]);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(
        `ja4guard: failed while adding ${CHROME_JA4} to the blocklist in Redis at redis://nopublish:***@127.0.0.1:${server.port}: `,
      );
      expect(result.stderr).toContain('then run the command again');
    });

    it('wrong password exits 1', async () => {
      const url = `redis://noscan:wrong@127.0.0.1:${server.port}`;
      const result = await runCli(['blocklist', 'list', '--redis', url]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('WRONGPASS');
      expect(result.stderr).toContain('Put the credentials in the URL');
      expect(result.stderr).not.toContain('wrong@');
    });
  },
);

describe('blocklist command without Redis', () => {
  let closedPort: number;

  beforeAll(async () => {
    closedPort = await freePort();
  });

  it.each([
    { value: 'bogus', code: 'ERR_JA4GUARD_INVALID_JA4' },
    { value: 't13d1516h2_8daaf6152771', code: 'ERR_JA4GUARD_INVALID_JA4' },
    { value: 't13d*_zzzz_*', code: 'ERR_JA4GUARD_INVALID_JA4' },
    { value: `${CHROME_JA4}|999.1.1.1`, code: 'ERR_JA4GUARD_INVALID_IP' },
    { value: `${CHROME_JA4}|10.0.0.0/8`, code: 'ERR_JA4GUARD_INVALID_BLOCKLIST_VALUE' },
    { value: 't13d*|10.0.0.1', code: 'ERR_JA4GUARD_INVALID_BLOCKLIST_VALUE' },
  ])('invalid VALUE $value exits 2', async ({ value, code }) => {
    // The closed port shows that VALUE is checked before the command connects.
    for (const subcommand of ['add', 'remove']) {
      const result = await runCli([
        'blocklist',
        subcommand,
        value,
        '--redis',
        `redis://127.0.0.1:${closedPort}`,
      ]);
      expect(result.status, subcommand).toBe(2);
      expect(result.stdout, subcommand).toBe('');
      expect(result.stderr, subcommand).toContain(`invalid VALUE: ${code}: `);
      expect(result.stderr, subcommand).toContain("Run 'ja4guard --help' for usage.");
      expect(result.stderr.trimEnd().split('\n'), subcommand).toHaveLength(1);
    }
  });

  it.each([
    { args: [], problem: 'missing blocklist subcommand' },
    { args: ['drop'], problem: "unknown blocklist subcommand 'drop'" },
    { args: ['add'], problem: "missing VALUE for 'blocklist add'" },
    { args: ['remove'], problem: "missing VALUE for 'blocklist remove'" },
    { args: ['add', CHROME_JA4, CURL_JA4], problem: `unexpected argument '${CURL_JA4}'` },
    { args: ['list', CHROME_JA4], problem: `unexpected argument '${CHROME_JA4}'` },
    { args: ['list', '--ttl', '5'], problem: "--ttl applies only to 'blocklist add'" },
    {
      args: ['remove', CHROME_JA4, '--reason', 'x'],
      problem: "--reason applies only to 'blocklist add'",
    },
    { args: ['add', CHROME_JA4, '--json'], problem: "--json applies only to 'blocklist list'" },
    { args: ['add', CHROME_JA4, '--ttl', '0'], problem: "invalid value '0' for --ttl" },
    { args: ['add', CHROME_JA4, '--ttl', '1.5'], problem: "invalid value '1.5' for --ttl" },
    { args: ['add', CHROME_JA4, '--ttl', '-5'], problem: "invalid value '-5' for --ttl" },
    { args: ['add', CHROME_JA4, '--ttl', '1e3'], problem: "invalid value '1e3' for --ttl" },
    { args: ['add', CHROME_JA4, '--ttl', '9'.repeat(20)], problem: 'for --ttl' },
    { args: ['add', CHROME_JA4, '--ttl'], problem: '--ttl requires a value' },
    { args: ['list', '--timeout', '0'], problem: "invalid value '0' for --timeout" },
    { args: ['list', '--timeout', '3000000'], problem: "invalid value '3000000' for --timeout" },
    { args: ['list', '--redis', 'not a url'], problem: "invalid Redis URL 'not a url' in --redis" },
    { args: ['list', '--redis', 'http://127.0.0.1:6379'], problem: "unsupported scheme 'http:'" },
    {
      args: ['list', '--redis', 'redis://127.0.0.1:7000,redis://127.0.0.1:7001'],
      problem: 'pass --cluster to use them as Redis Cluster nodes',
    },
    { args: ['list', '--cluster', '--redis', 'redis://a:7000,'], problem: 'empty URL' },
    {
      args: ['list', '--cluster', '--redis', 'redis://a:7000/2,redis://b:7000'],
      problem: 'Redis Cluster has only database 0',
    },
    {
      args: ['list', '--cluster', '--redis', 'redis://a:7000,rediss://b:7000'],
      problem: 'differ in scheme or credentials',
    },
  ])('exits 2 for $problem', async ({ args, problem }) => {
    const result = await runCli(['blocklist', ...args]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(problem);
    expect(result.stderr).toContain("Run 'ja4guard --help' for usage.");
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('usage error hides the URL password', async () => {
    const result = await runCli(['blocklist', 'list', '--redis', 'ftp://admin:hunter2@host']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('ftp://admin:***@host');
    expect(result.stderr).not.toContain('hunter2');
  });

  it.each([['add', CHROME_JA4], ['remove', CHROME_JA4], ['list']])(
    'unreachable Redis fails %s fast',
    async (...args) => {
      const url = `redis://127.0.0.1:${closedPort}`;
      const started = Date.now();
      const result = await runCli(['blocklist', ...args, '--redis', url]);
      const elapsed = Date.now() - started;

      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `ja4guard: cannot connect to Redis at ${url}: connect ECONNREFUSED 127.0.0.1:${closedPort}. ` +
          'Is Redis running there? Pass --redis URL or set JA4GUARD_REDIS_URL.\n',
      );
      expect(elapsed).toBeLessThan(COMMAND_DEADLINE_MS);
    },
  );

  it('unreachable Redis hides the URL password', async () => {
    const result = await runCli([
      'blocklist',
      'list',
      '--redis',
      `redis://admin:hunter2@127.0.0.1:${closedPort}`,
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`redis://admin:***@127.0.0.1:${closedPort}`);
    expect(result.stderr).not.toContain('hunter2');
  });

  it('unreachable cluster nodes fail fast', async () => {
    const otherPort = await freePort();
    const started = Date.now();
    const result = await runCli([
      'blocklist',
      'list',
      '--cluster',
      '--redis',
      `redis://127.0.0.1:${closedPort},redis://127.0.0.1:${otherPort}`,
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `cannot connect to Redis at redis://127.0.0.1:${closedPort},redis://127.0.0.1:${otherPort}: `,
    );
    expect(Date.now() - started).toBeLessThan(COMMAND_DEADLINE_MS);
  });

  it('JA4GUARD_REDIS_URL is read without --redis', async () => {
    const url = `redis://127.0.0.1:${closedPort}`;
    vi.stubEnv('JA4GUARD_REDIS_URL', url);
    try {
      const fromVariable = await runCli(['blocklist', 'list']);
      expect(fromVariable.status).toBe(1);
      expect(fromVariable.stderr).toContain(`cannot connect to Redis at ${url}:`);

      const invalid = `redis://127.0.0.1:${closedPort},redis://127.0.0.1:1`;
      vi.stubEnv('JA4GUARD_REDIS_URL', invalid);
      const rejected = await runCli(['blocklist', 'list']);
      expect(rejected.status).toBe(2);
      expect(rejected.stderr).toContain('JA4GUARD_REDIS_URL contains 2 URLs');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  describe('server that never replies', () => {
    let server: Server;
    let port: number;
    const sockets = new Set<Socket>();

    beforeAll(async () => {
      // Accepts connections and reads nothing back, like a stopped or overloaded Redis.
      server = createServer((socket) => {
        // Reading and dropping the requests lets the socket see the client's close.
        socket.resume();
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      port = typeof address === 'object' && address !== null ? address.port : 0;
    });

    afterAll(async () => {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    });

    it('--timeout ends the command', async () => {
      const started = Date.now();
      const result = await runCli([
        'blocklist',
        'list',
        '--redis',
        `redis://127.0.0.1:${port}`,
        '--timeout',
        '0.5',
      ]);
      const elapsed = Date.now() - started;

      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `ja4guard: timed out after 0.5 s while connecting to Redis at redis://127.0.0.1:${port}; ` +
          'check that Redis replies, or raise --timeout\n',
      );
      expect(elapsed).toBeGreaterThanOrEqual(500);
      expect(elapsed).toBeLessThan(2000);
      expect(await waitFor(() => sockets.size === 0, 1000)).toBe(true);
    });
  });

  it('help lists the blocklist options', async () => {
    const { stdout } = await runCli(['blocklist', '--help']);
    // Help wraps at 80 columns, so compare with the line breaks and indents as single spaces.
    const text = stdout.replace(/\s+/g, ' ');
    for (const expected of [
      'ja4guard blocklist add VALUE [--ttl SECONDS] [--reason TEXT]',
      'ja4guard blocklist remove VALUE',
      'ja4guard blocklist list [--json]',
      '--redis URL',
      'Default: redis://127.0.0.1:6379.',
      'JA4GUARD_REDIS_URL',
      '--cluster',
      '--key-prefix PREFIX',
      "Default: 'ja4guard:'.",
      '--timeout SECONDS',
      'Default: 10.',
      'Default: never.',
    ]) {
      expect(text).toContain(expected);
    }
  });
});
