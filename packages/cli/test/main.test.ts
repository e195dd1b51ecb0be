import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusPath, runCli } from './helpers.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

describe('main help and version', () => {
  it.each([['--help'], ['-h'], ['help'], ['fingerprint', '--help']])(
    'prints help for %s',
    async (...args) => {
      const result = await runCli(args);
      expect(result.status).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('Usage: ja4guard <command> [options]');
    },
  );

  it('lists every command and option', async () => {
    const { stdout } = await runCli(['--help']);
    for (const text of [
      'fingerprint',
      '--transport tcp|quic|dtls',
      'Default: tcp',
      '--file PATH',
      '--pcap PATH',
      '--version',
      '--help',
    ]) {
      expect(stdout).toContain(text);
    }
  });

  it('prints the package version', async () => {
    const result = await runCli(['--version']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${manifest.version}\n`);
  });
});

describe('main usage errors', () => {
  it.each([
    { args: [], problem: 'missing command' },
    { args: ['frobnicate'], problem: "unknown command 'frobnicate'" },
    { args: ['--verbose'], problem: 'unknown option --verbose' },
    { args: ['fingerprint', '--bogus'], problem: 'unknown option --bogus' },
    { args: ['fingerprint', '--transport'], problem: '--transport requires a value' },
    { args: ['fingerprint', '--transport', 'udp'], problem: "invalid value 'udp' for --transport" },
    {
      args: ['fingerprint', '--transport=tcp', '--transport=quic'],
      problem: '--transport is given more than once',
    },
    { args: ['fingerprint', '--help=yes'], problem: '--help takes no value' },
    { args: ['fingerprint', 'extra'], problem: "unexpected argument 'extra'" },
    { args: ['fingerprint', '--file', '/nonexistent/hello.bin'], problem: 'no such file' },
    { args: ['fingerprint', '--pcap', '/nonexistent/capture.pcap'], problem: 'no such file' },
    { args: ['fingerprint', '--pcap', '/'], problem: 'it is a directory' },
    { args: ['fingerprint', '--file', 'a', '--pcap', 'b'], problem: 'cannot be used together' },
    {
      args: [
        'fingerprint',
        '--pcap',
        corpusPath('synthetic-edge-clienthellos.pcap'),
        '--transport',
        'quic',
      ],
      problem: '--transport quic cannot be used with --pcap',
    },
  ])('exits 2 for $problem', async ({ args, problem }) => {
    const result = await runCli(args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(problem);
    expect(result.stderr).toContain("Run 'ja4guard --help' for usage.");
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
