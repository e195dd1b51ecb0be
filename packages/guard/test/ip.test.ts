import { describe, expect, test } from 'vitest';
import { GuardError } from '../src/errors.js';
import { formatIp, IpSet, parseClientIp, parseIp } from '../src/ip.js';

const location = { rule: 'r', option: 'match.ip' };

function ipSet(...entries: string[]): IpSet {
  const set = new IpSet();
  for (const entry of entries) {
    set.add(entry, location);
  }
  return set;
}

describe('IP parsing', () => {
  const canonical: Array<[input: string, expected: string | null]> = [
    ['192.0.2.1', '192.0.2.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['256.0.0.1', null],
    ['01.2.3.4', null],
    ['1.2.3', null],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::ffff:c000:201', '192.0.2.1'],
    ['::192.0.2.1', '::c000:201'],
    ['1:2:3:4:5:6:7:8:9', null],
    ['1::2::3', null],
    [':1:2:3:4:5:6:7', null],
    ['2001:db8::g', null],
    ['fe80::1%eth0', null],
    ['', null],
  ];

  test.each(canonical)('%s formats as %s', (input, expected) => {
    const parsed = parseIp(input);
    expect(parsed === null ? null : formatIp(parsed)).toBe(expected);
  });

  test('client address drops zone id', () => {
    const parsed = parseClientIp('fe80::1%eth0');
    expect(parsed === null ? null : formatIp(parsed)).toBe('fe80::1');
  });
});

describe('IP sets', () => {
  const cases: Array<{ entries: string[]; ip: string; matches: boolean }> = [
    { entries: ['192.0.2.1'], ip: '192.0.2.1', matches: true },
    { entries: ['192.0.2.1'], ip: '192.0.2.2', matches: false },
    { entries: ['10.0.0.0/8'], ip: '10.255.1.2', matches: true },
    { entries: ['10.0.0.0/8'], ip: '11.0.0.1', matches: false },
    { entries: ['0.0.0.0/0'], ip: '198.51.100.9', matches: true },
    { entries: ['192.0.2.128/25'], ip: '192.0.2.200', matches: true },
    { entries: ['192.0.2.128/25'], ip: '192.0.2.127', matches: false },
    { entries: ['192.0.2.1/32'], ip: '192.0.2.1', matches: true },
    { entries: ['10.0.0.0/8'], ip: '::ffff:10.1.2.3', matches: true },
    { entries: ['10.0.0.0/8'], ip: '::ffff:a01:203', matches: true },
    { entries: ['::ffff:10.0.0.0/104'], ip: '10.9.9.9', matches: true },
    { entries: ['2001:db8::/32'], ip: '2001:db8:1234::1', matches: true },
    { entries: ['2001:db8::/32'], ip: '2001:db9::1', matches: false },
    { entries: ['2001:db8::1'], ip: '2001:DB8:0:0::1', matches: true },
    { entries: ['::/0'], ip: '2001:db8::1', matches: true },
    { entries: ['::/0'], ip: '192.0.2.1', matches: false },
    { entries: ['2001:db8::/128'], ip: '2001:db8::', matches: true },
    { entries: ['10.0.0.0/8', '2001:db8::/32'], ip: '2001:db8::5', matches: true },
    { entries: ['10.0.0.0/8'], ip: 'not-an-ip', matches: false },
  ];

  test.each(cases)('$entries contains $ip: $matches', ({ entries, ip, matches }) => {
    expect(ipSet(...entries).has(parseClientIp(ip))).toBe(matches);
  });
});

describe('IP set errors', () => {
  const invalid: Array<[entry: unknown, hintPart: string]> = [
    ['300.1.1.1', 'IPv4'],
    ['10.0.0.0/33', 'prefix length'],
    ['2001:db8::/129', 'prefix length'],
    ['10.0.0.1/8', '10.0.0.0/8'],
    ['2001:db8::1/32', '2001:db8::/32'],
    ['10.0.0.0/', 'address/prefix'],
    ['10.0.0.0/x', 'address/prefix'],
    ['::ffff:10.0.0.0/8', '96 to 128'],
    ['fe80::1%eth0', 'zone id'],
    ['', 'non-empty'],
    [42, 'non-empty'],
  ];

  test.each(invalid)('%s is rejected', (entry, hintPart) => {
    let error: unknown;
    try {
      ipSet().add(entry, location);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GuardError);
    const guardError = error as GuardError;
    expect(guardError.code).toBe('ERR_JA4GUARD_INVALID_IP');
    expect(guardError.rule).toBe('r');
    expect(guardError.value).toBe(entry);
    expect(guardError.hint).toContain(hintPart);
  });
});
