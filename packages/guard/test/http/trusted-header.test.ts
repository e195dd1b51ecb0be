import type { TlsFingerprint } from '@ja4guard/core';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  createGuard,
  createHeaderSource,
  type HeaderSourceOptions,
  toGuardFingerprint,
} from '../../src/index.js';
import { CHROME_JA4, CURL_JA4, context, recordingLogger } from '../helpers/context.js';

/** The socket fingerprint of a proxy's or client's own TLS connection. */
const SOCKET: TlsFingerprint = {
  ja4: CURL_JA4,
  ja4_r: 'raw',
  ja4_o: 'original',
  ja4_ro: 'original-raw',
  ja3: 'cd08e31494f9531f560d64c695473da9',
  ja3_full: '771,4865,0,29,0',
  serverName: 'www.example.com',
  alpnProtocols: ['h2'],
  tlsVersions: [0x0304],
  source: 'socket',
};

const TRUSTED = ['10.0.0.0/8', '192.0.2.10', 'fd00::/8'];

function source(overrides: Partial<HeaderSourceOptions> = {}) {
  return createHeaderSource({ header: 'x-ja4', trustedProxies: TRUSTED, ...overrides });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('trusted peers', () => {
  test.each([
    ['IPv4 range', '10.1.2.3'],
    ['IPv4 address', '192.0.2.10'],
    ['IPv4-mapped IPv6', '::ffff:10.1.2.3'],
    ['IPv6 range', 'fd00::17'],
    ['IPv6 with zone id', 'fd00::17%eth0'],
  ])('%s accepted', (_name, peerAddress) => {
    const headers = source();
    const result = headers.resolve({ peerAddress, headers: { 'x-ja4': CHROME_JA4 } }, SOCKET);
    expect(result.source).toBe('header');
    expect(result.rejected).toBeUndefined();
    expect(result.fingerprint).toEqual({
      source: 'header',
      header: 'x-ja4',
      ja4: CHROME_JA4,
      ja4_r: null,
      ja4_o: null,
      ja4_ro: null,
      ja3: null,
      ja3_full: null,
      serverName: null,
      alpnProtocols: [],
      tlsVersions: [],
    });
    expect(headers.stats().accepted).toBe(1);
  });

  test('missing header gives no fingerprint', () => {
    const headers = source();
    const result = headers.resolve({ peerAddress: '10.0.0.1', headers: {} }, SOCKET);
    expect(result).toEqual({ fingerprint: null, source: null });
    expect(headers.stats().missingFromTrusted).toBe(1);
  });
});

describe('untrusted peers', () => {
  test.each([
    ['IPv4 outside range', '11.0.0.1'],
    ['IPv4-mapped outside range', '::ffff:11.0.0.1'],
    ['IPv6 outside range', '2001:db8::1'],
    ['unknown peer', undefined],
    ['not an address', 'localhost'],
  ])('%s ignored', (_name, peerAddress) => {
    const headers = source();
    const result = headers.resolve({ peerAddress, headers: { 'x-ja4': CHROME_JA4 } }, SOCKET);
    expect(result.fingerprint).toBe(SOCKET);
    expect(result.source).toBe('socket');
    expect(result.rejected).toBe('untrusted-peer');
    expect(headers.stats().rejectedUntrusted).toBe(1);
    expect(headers.stats().accepted).toBe(0);
  });

  test('without socket fingerprint', () => {
    const result = source().resolve(
      { peerAddress: '198.51.100.7', headers: { 'x-ja4': CHROME_JA4 } },
      null,
    );
    expect(result).toEqual({ fingerprint: null, source: null, rejected: 'untrusted-peer' });
  });

  test('no header keeps socket fingerprint', () => {
    const headers = source();
    const result = headers.resolve({ peerAddress: '198.51.100.7', headers: {} }, SOCKET);
    expect(result).toEqual({ fingerprint: SOCKET, source: 'socket' });
    expect(headers.stats()).toEqual({
      accepted: 0,
      rejectedUntrusted: 0,
      rejectedInvalid: 0,
      missingFromTrusted: 0,
    });
  });
});

describe('header format', () => {
  test.each([
    ['empty', ''],
    ['JA3 hash', 'cd08e31494f9531f560d64c695473da9'],
    ['uppercase hash', 't13d1516h2_8DAAF6152771_e5627efa2ab1'],
    ['unknown protocol', 'x13d1516h2_8daaf6152771_e5627efa2ab1'],
    ['unknown version', 't14d1516h2_8daaf6152771_e5627efa2ab1'],
    ['unknown SNI flag', 't13x1516h2_8daaf6152771_e5627efa2ab1'],
    ['short hash', 't13d1516h2_8daaf615277_e5627efa2ab1'],
    ['surrounding space', ` ${CHROME_JA4}`],
    ['pattern', 't13d*_8daaf6152771_*'],
    ['two values joined', `${CHROME_JA4}, ${CURL_JA4}`],
  ])('%s rejected', (_name, value) => {
    const headers = source();
    const result = headers.resolve(
      { peerAddress: '10.0.0.1', headers: { 'x-ja4': value } },
      SOCKET,
    );
    expect(result).toEqual({ fingerprint: null, source: null, rejected: 'invalid-format' });
    expect(headers.stats().rejectedInvalid).toBe(1);
  });

  test('repeated header rejected', () => {
    const result = source().resolve(
      { peerAddress: '10.0.0.1', headers: { 'x-ja4': [CHROME_JA4, CURL_JA4] } },
      null,
    );
    expect(result.rejected).toBe('invalid-format');
  });

  test.each([
    ['QUIC', 'q13d0310h3_55b375c5d22e_cd85d2d88918'],
    ['DTLS 1.2', 'dd2i0505c1_000000000000_000000000000'],
    ['SSL 3.0 without ALPN', 'ts3i010200_0f2cb44170f4_000000000000'],
    ['unknown version', 't00d1516h2_8daaf6152771_e5627efa2ab1'],
  ])('%s accepted', (_name, value) => {
    const result = source().resolve({ peerAddress: '10.0.0.1', headers: { 'x-ja4': value } }, null);
    expect(result.fingerprint?.ja4).toBe(value);
  });
});

describe('header names', () => {
  test.each([
    ['haproxy', 'x-ja4'],
    ['nginx', 'x-ja4'],
    ['cloudflare', 'cf-ja4'],
    ['cloudfront', 'cloudfront-viewer-ja4-fingerprint'],
  ] as const)('preset %s', (preset, header) => {
    const headers = createHeaderSource({ preset, trustedProxies: TRUSTED });
    expect(headers.header).toBe(header);
    const result = headers.resolve(
      { peerAddress: '10.0.0.1', headers: { [header]: CHROME_JA4 } },
      null,
    );
    expect(result.source).toBe('header');
  });

  test('header overrides preset', () => {
    const headers = createHeaderSource({
      header: 'X-Client-JA4',
      preset: 'cloudfront',
      trustedProxies: TRUSTED,
    });
    expect(headers.header).toBe('x-client-ja4');
  });

  test('other header ignored', () => {
    const result = source().resolve(
      { peerAddress: '10.0.0.1', headers: { 'cf-ja4': CHROME_JA4 } },
      SOCKET,
    );
    expect(result).toEqual({ fingerprint: null, source: null });
  });
});

describe('warnings', () => {
  test('untrusted warned once with count', () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const logger = recordingLogger();
    const headers = source({ logger, warnIntervalMs: 10_000 });
    const request = { peerAddress: '198.51.100.7', headers: { 'x-ja4': CHROME_JA4 } };

    for (let i = 0; i < 5; i++) {
      headers.resolve(request, null);
    }
    expect(logger.calls).toHaveLength(1);
    expect(logger.calls[0]?.level).toBe('warn');
    expect(logger.calls[0]?.object).toEqual({
      header: 'x-ja4',
      peer: '198.51.100.7',
      suppressed: 0,
      rejectedUntrusted: 1,
    });
    expect(logger.calls[0]?.message).toContain('198.51.100.7');
    expect(logger.calls[0]?.message).toContain('trustedProxies');

    vi.advanceTimersByTime(10_000);
    headers.resolve(request, null);
    expect(logger.calls).toHaveLength(2);
    expect(logger.calls[1]?.object).toMatchObject({ suppressed: 4, rejectedUntrusted: 6 });
    expect(headers.stats().rejectedUntrusted).toBe(6);
  });

  test('invalid value warned separately', () => {
    const logger = recordingLogger();
    const headers = source({ logger });
    headers.resolve({ peerAddress: '198.51.100.7', headers: { 'x-ja4': CHROME_JA4 } }, null);
    headers.resolve({ peerAddress: '10.0.0.1', headers: { 'x-ja4': 'garbage' } }, null);
    headers.resolve({ peerAddress: '10.0.0.1', headers: { 'x-ja4': 'garbage' } }, null);
    expect(logger.calls).toHaveLength(2);
    expect(logger.calls[1]?.object).toMatchObject({
      header: 'x-ja4',
      peer: '10.0.0.1',
      value: '"garbage"',
      suppressed: 0,
    });
  });

  test('no logger no warning', () => {
    const headers = source();
    headers.resolve({ peerAddress: '198.51.100.7', headers: { 'x-ja4': CHROME_JA4 } }, null);
    expect(headers.stats().rejectedUntrusted).toBe(1);
  });
});

describe('header source options', () => {
  test.each([
    ['trustedProxies', { header: 'x-ja4' }, 'ERR_JA4GUARD_INVALID_OPTION'],
    ['trustedProxies', { header: 'x-ja4', trustedProxies: [] }, 'ERR_JA4GUARD_INVALID_OPTION'],
    [
      'trustedProxies[1]',
      { header: 'x-ja4', trustedProxies: ['10.0.0.0/8', '10.0.0.1/8'] },
      'ERR_JA4GUARD_INVALID_IP',
    ],
    ['header', { trustedProxies: TRUSTED }, 'ERR_JA4GUARD_INVALID_OPTION'],
    ['header', { header: 'x ja4', trustedProxies: TRUSTED }, 'ERR_JA4GUARD_INVALID_OPTION'],
    ['preset', { preset: 'akamai', trustedProxies: TRUSTED }, 'ERR_JA4GUARD_INVALID_OPTION'],
    [
      'logger',
      { header: 'x-ja4', trustedProxies: TRUSTED, logger: {} },
      'ERR_JA4GUARD_INVALID_OPTION',
    ],
    [
      'warnIntervalMs',
      { header: 'x-ja4', trustedProxies: TRUSTED, warnIntervalMs: -1 },
      'ERR_JA4GUARD_INVALID_OPTION',
    ],
    ['trustedproxies', { header: 'x-ja4', trustedproxies: TRUSTED }, 'ERR_JA4GUARD_INVALID_OPTION'],
  ])('invalid %s', (option, options, code) => {
    expect(() => createHeaderSource(options as never)).toThrow(
      expect.objectContaining({ code, option }),
    );
  });
});

describe('header fingerprint in rules', () => {
  test('JA4 rule matches header', async () => {
    const guard = createGuard({
      rules: [{ name: 'chrome', match: { ja4: CHROME_JA4 }, action: 'block' }],
    });
    const result = source().resolve(
      { peerAddress: '10.0.0.1', headers: { 'x-ja4': CHROME_JA4 } },
      null,
    );
    const decision = await guard.check(
      context({ fingerprint: toGuardFingerprint(result.fingerprint) }),
    );
    expect(decision.action).toBe('block');
    await guard.close();
  });

  test('JA3 rule never matches header', async () => {
    const guard = createGuard({
      rules: [{ name: 'ja3', match: { ja3: 'cd08e31494f9531f560d64c695473da9' }, action: 'block' }],
    });
    const result = source().resolve(
      { peerAddress: '10.0.0.1', headers: { 'x-ja4': CHROME_JA4 } },
      null,
    );
    const decision = await guard.check(
      context({ fingerprint: toGuardFingerprint(result.fingerprint) }),
    );
    expect(decision.action).toBe('pass');
    await guard.close();
  });

  test('socket fingerprint passes through', () => {
    expect(toGuardFingerprint(SOCKET as never)).toBe(SOCKET);
    expect(toGuardFingerprint(null)).toBeNull();
  });
});
