import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprint, isGrease, type Transport } from '../src/index.js';
import {
  alpn,
  buildDtlsHandshake,
  buildDtlsRecord,
  buildHandshake,
  buildHello,
  buildRecords,
  concat,
  type ExtensionSpec,
  ecPointFormats,
  extension,
  fromHex,
  type HelloSpec,
  signatureAlgorithms,
  sni,
  splitIntoRecords,
  supportedGroups,
  supportedVersions,
  uint,
  vector,
} from './helpers/build-hello.js';

// One table row per JA4 rule of the specification (technical_details/JA4.md in
// FoxIO-LLC/ja4). Each row states the printed lists (JA4_r, JA4_ro) as
// literal strings. The hashed forms are computed here with node:crypto, so the
// expected values never come from the code under test.

/** JA4's truncated hash, written independently of src: twelve zeros for an empty list. */
function sha256Prefix(text: string): string {
  if (text === '') return '000000000000';
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** Formats a 16-bit value as JA4 lists print it. */
function hex4(value: number): string {
  return value.toString(16).padStart(4, '0');
}

/** Builds `count` consecutive values from `first`. */
function range(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}

// The base hello: a TLS 1.3 client with lists out of order on the wire.
const CIPHERS = [0xc02f, 0x1301, 0xc02b, 0x1303, 0x1302];
const B_SORTED = '1301,1302,1303,c02b,c02f';
const B_WIRE = 'c02f,1301,c02b,1303,1302';

const KEY_SHARE = extension(
  0x0033,
  vector(2, concat(uint(0x001d, 2), vector(2, new Uint8Array(32)))),
);
const RENEGOTIATION_INFO = extension(0xff01, fromHex('00'));
const SIGALGS = signatureAlgorithms([0x0804, 0x0403, 0x0401]);

/** Extensions of the base hello, in wire order: types 002b,0000,0033,000d,0010,000a,ff01,000b. */
const EXTENSIONS: readonly ExtensionSpec[] = [
  supportedVersions([0x0304, 0x0303]),
  sni('example.com'),
  KEY_SHARE,
  SIGALGS,
  alpn(['h2', 'http/1.1']),
  supportedGroups([0x001d, 0x0017]),
  RENEGOTIATION_INFO,
  ecPointFormats([0]),
];
const C_SORTED = '000a,000b,000d,002b,0033,ff01_0804,0403,0401';
const C_WIRE = '002b,0000,0033,000d,0010,000a,ff01,000b_0804,0403,0401';

/** The base extensions without supported_versions: types 0000,0033,000d,0010,000a,ff01,000b. */
const EXTENSIONS_NO_SV = EXTENSIONS.filter((item) => item.type !== 0x002b);
const C_SORTED_NO_SV = '000a,000b,000d,0033,ff01_0804,0403,0401';
const C_WIRE_NO_SV = '0000,0033,000d,0010,000a,ff01,000b_0804,0403,0401';

/** Replaces the extension of `type` in the base list, or removes it when `replacement` is null. */
function replaceExtension(
  type: number,
  replacement: ExtensionSpec | null,
  base: readonly ExtensionSpec[] = EXTENSIONS,
): ExtensionSpec[] {
  const result: ExtensionSpec[] = [];
  for (const item of base) {
    if (item.type !== type) result.push(item);
    else if (replacement !== null) result.push(replacement);
  }
  return result;
}

function withVersions(versions: readonly number[]): ExtensionSpec[] {
  return replaceExtension(0x002b, supportedVersions(versions));
}

function withAlpn(replacement: ExtensionSpec | null): ExtensionSpec[] {
  return replaceExtension(0x0010, replacement);
}

/** Framing of the input: TLS record, bare handshake message, or DTLS record. */
type Framing = 'record' | 'bare' | 'dtls';

interface RuleCase {
  name: string;
  hello: HelloSpec;
  transport?: Transport;
  framing?: Framing;
  /** JA4_a, for example `t13d0508h2`. */
  a: string;
  /** Sorted cipher list of JA4_r. Default {@link B_SORTED}. */
  b?: string;
  /** Sorted extension list and signature algorithms of JA4_r. Default {@link C_SORTED}. */
  c?: string;
  /** Cipher list of JA4_ro, in wire order. Default {@link B_WIRE}. */
  bWire?: string;
  /** Extension list and signature algorithms of JA4_ro, in wire order. Default {@link C_WIRE}. */
  cWire?: string;
  /** Expected JA3 string, checked when given. */
  ja3Full?: string;
}

function buildInput(row: RuleCase): Uint8Array {
  const framing = row.framing ?? (row.transport === 'quic' ? 'bare' : 'record');
  if (framing === 'bare') return buildHandshake(row.hello);
  if (framing === 'dtls') return buildDtlsRecord(buildDtlsHandshake(row.hello));
  return buildHello(row.hello);
}

function base(overrides: HelloSpec = {}): HelloSpec {
  return { cipherSuites: CIPHERS, extensions: EXTENSIONS, ...overrides };
}

const LEGACY_HELLO = (legacyVersion: number): HelloSpec =>
  base({ legacyVersion, extensions: EXTENSIONS_NO_SV });

const protocolRows: RuleCase[] = [
  { name: 'tcp gives t', hello: base(), a: 't13d0508h2' },
  { name: 'quic gives q', hello: base(), transport: 'quic', a: 'q13d0508h2' },
  {
    name: 'quic over a record gives q',
    hello: base(),
    transport: 'quic',
    framing: 'record',
    a: 'q13d0508h2',
  },
  { name: 'dtls gives d', hello: base(), transport: 'dtls', framing: 'dtls', a: 'd13d0508h2' },
  {
    name: 'quic_transport_parameters over tcp gives t',
    hello: base({ extensions: [...EXTENSIONS, extension(0x0039, fromHex('0104 80008000'))] }),
    a: 't13d0509h2',
    c: '000a,000b,000d,002b,0033,0039,ff01_0804,0403,0401',
    cWire: '002b,0000,0033,000d,0010,000a,ff01,000b,0039_0804,0403,0401',
  },
];

const versionRows: RuleCase[] = [
  {
    name: 'highest supported_versions value',
    hello: base({ extensions: withVersions([0x0303, 0x0304]) }),
    a: 't13d0508h2',
  },
  {
    name: 'GREASE before TLS 1.3',
    hello: base({ extensions: withVersions([0x0a0a, 0x0304, 0x0303]) }),
    a: 't13d0508h2',
  },
  {
    name: 'supported_versions below legacy_version',
    hello: base({ extensions: withVersions([0x0302]) }),
    a: 't11d0508h2',
  },
  {
    name: 'only GREASE falls back to legacy',
    hello: base({ extensions: withVersions([0xfafa]) }),
    a: 't12d0508h2',
  },
  {
    name: 'empty list falls back to legacy',
    hello: base({ legacyVersion: 0x0301, extensions: withVersions([]) }),
    a: 't10d0508h2',
  },
  {
    name: 'empty data falls back to legacy',
    hello: base({ legacyVersion: 0x0301, extensions: replaceExtension(0x002b, extension(0x002b)) }),
    a: 't10d0508h2',
  },
  {
    name: 'unknown highest value gives 00',
    hello: base({ extensions: withVersions([0x7f17, 0x0303]) }),
    a: 't00d0508h2',
  },
  {
    name: 'no supported_versions uses legacy',
    hello: LEGACY_HELLO(0x0303),
    a: 't12d0507h2',
    c: C_SORTED_NO_SV,
    cWire: C_WIRE_NO_SV,
  },
  {
    name: 'dtls takes the newest, not the largest',
    hello: base({ legacyVersion: 0xfefd, extensions: withVersions([0xfefd, 0xfefc]) }),
    transport: 'dtls',
    framing: 'dtls',
    a: 'dd3d0508h2',
  },
  {
    name: 'dtls 1.2 over 1.0',
    hello: base({ legacyVersion: 0xfeff, extensions: withVersions([0xfeff, 0xfefd]) }),
    transport: 'dtls',
    framing: 'dtls',
    a: 'dd2d0508h2',
  },
];

const TLS_VERSION_CODES: [number, string][] = [
  [0x0304, '13'],
  [0x0303, '12'],
  [0x0302, '11'],
  [0x0301, '10'],
  [0x0300, 's3'],
  [0x0002, 's2'],
  [0x0305, '00'],
  [0x0200, '00'],
  [0x0000, '00'],
];

const versionCodeRows: RuleCase[] = TLS_VERSION_CODES.map(([legacyVersion, code]) => ({
  name: `legacy_version ${hex4(legacyVersion)} gives ${code}`,
  hello: LEGACY_HELLO(legacyVersion),
  a: `t${code}d0507h2`,
  c: C_SORTED_NO_SV,
  cWire: C_WIRE_NO_SV,
}));

const DTLS_VERSION_CODES: [number, string][] = [
  [0xfeff, 'd1'],
  [0xfefd, 'd2'],
  [0xfefc, 'd3'],
];

const dtlsVersionCodeRows: RuleCase[] = DTLS_VERSION_CODES.map(([legacyVersion, code]) => ({
  name: `dtls legacy_version ${hex4(legacyVersion)} gives ${code}`,
  hello: LEGACY_HELLO(legacyVersion),
  transport: 'dtls' as const,
  framing: 'dtls' as const,
  a: `d${code}d0507h2`,
  c: C_SORTED_NO_SV,
  cWire: C_WIRE_NO_SV,
}));

const sniRows: RuleCase[] = [
  {
    name: 'no server_name gives i',
    hello: base({ extensions: replaceExtension(0x0000, null) }),
    a: 't13i0507h2',
    cWire: '002b,0033,000d,0010,000a,ff01,000b_0804,0403,0401',
  },
  {
    name: 'empty server_name data gives d',
    hello: base({ extensions: replaceExtension(0x0000, extension(0)) }),
    a: 't13d0508h2',
  },
  {
    name: 'empty server_name_list gives d',
    hello: base({ extensions: replaceExtension(0x0000, extension(0, fromHex('0000'))) }),
    a: 't13d0508h2',
  },
  {
    name: 'non-host_name entry gives d',
    hello: base({ extensions: replaceExtension(0x0000, extension(0, fromHex('0004 01 0001 61'))) }),
    a: 't13d0508h2',
  },
];

const CIPHERS_99 = range(0x0100, 99);
const CIPHERS_100 = range(0x0100, 100);
const CIPHERS_150 = range(0x0100, 150);
const EXTRA_EXTENSIONS = range(0x1000, 97).map((type) => extension(type));

const countRows: RuleCase[] = [
  {
    name: 'no cipher suites gives 00',
    hello: base({ cipherSuites: [] }),
    a: 't13d0008h2',
    b: '',
    bWire: '',
  },
  {
    name: 'nine cipher suites give 09',
    hello: base({ cipherSuites: range(0x0001, 9) }),
    a: 't13d0908h2',
    b: '0001,0002,0003,0004,0005,0006,0007,0008,0009',
    bWire: '0001,0002,0003,0004,0005,0006,0007,0008,0009',
  },
  {
    name: 'ten cipher suites give 10',
    hello: base({ cipherSuites: range(0x0001, 10) }),
    a: 't13d1008h2',
    b: '0001,0002,0003,0004,0005,0006,0007,0008,0009,000a',
    bWire: '0001,0002,0003,0004,0005,0006,0007,0008,0009,000a',
  },
  {
    name: '99 cipher suites give 99',
    hello: base({ cipherSuites: CIPHERS_99 }),
    a: 't13d9908h2',
    b: CIPHERS_99.map(hex4).join(','),
    bWire: CIPHERS_99.map(hex4).join(','),
  },
  {
    name: '100 cipher suites cap at 99',
    hello: base({ cipherSuites: CIPHERS_100 }),
    a: 't13d9908h2',
    b: CIPHERS_100.map(hex4).join(','),
    bWire: CIPHERS_100.map(hex4).join(','),
  },
  {
    name: '150 cipher suites cap at 99',
    hello: base({ cipherSuites: [...CIPHERS_150].reverse() }),
    a: 't13d9908h2',
    b: CIPHERS_150.map(hex4).join(','),
    bWire: [...CIPHERS_150].reverse().map(hex4).join(','),
  },
  {
    name: '105 extensions cap at 99',
    hello: base({ extensions: [...EXTENSIONS, ...EXTRA_EXTENSIONS] }),
    a: 't13d0599h2',
    c: `000a,000b,000d,002b,0033,${range(0x1000, 97).map(hex4).join(',')},ff01_0804,0403,0401`,
    cWire: `002b,0000,0033,000d,0010,000a,ff01,000b,${range(0x1000, 97).map(hex4).join(',')}_0804,0403,0401`,
  },
  {
    name: 'GREASE is left out of counts',
    hello: base({
      cipherSuites: [0x0a0a, ...CIPHERS, 0x2a2a],
      extensions: [extension(0x3a3a), ...EXTENSIONS, extension(0x4a4a, fromHex('00'))],
    }),
    a: 't13d0508h2',
  },
  {
    name: 'duplicate extension counts twice',
    hello: base({ extensions: [...EXTENSIONS, RENEGOTIATION_INFO] }),
    a: 't13d0509h2',
    c: '000a,000b,000d,002b,0033,ff01,ff01_0804,0403,0401',
    cWire: '002b,0000,0033,000d,0010,000a,ff01,000b,ff01_0804,0403,0401',
  },
];

const NO_ALPN_C_WIRE = '002b,0000,0033,000d,000a,ff01,000b_0804,0403,0401';

const alpnRows: RuleCase[] = (
  [
    ['http/1.1 gives h1', alpn(['http/1.1']), 'h1'],
    ['one character is doubled', alpn(['h']), 'hh'],
    ['upper case is kept', alpn(['H2']), 'H2'],
    ['digits are kept', alpn(['12']), '12'],
    ['only the first name counts', alpn(['http/1.1', 'h2']), 'h1'],
    ['empty extension data gives 00', extension(0x0010), '00'],
    ['empty protocol list gives 00', extension(0x0010, fromHex('0000')), '00'],
    ['empty first name gives 00', alpn(['', 'h2']), '00'],
    ['non-ASCII bytes give hex digits', alpn([fromHex('abcd')]), 'ad'],
    ['non-alphanumeric last byte gives hex', alpn([fromHex('30ab')]), '3b'],
    ['trailing space gives hex', alpn(['a ']), '60'],
    ['single space gives hex', alpn([' ']), '20'],
    ['leading slash gives hex', alpn(['/x']), '28'],
    ['trailing NUL gives hex', alpn([fromHex('683200')]), '60'],
    ['inner bytes do not matter', alpn([fromHex('30abcd31')]), '01'],
    ['latin1 letter is not alphanumeric', alpn([fromHex('e961')]), 'e1'],
    ['superscript digit is not alphanumeric', alpn([fromHex('31b9')]), '39'],
  ] as const
).map(([name, replacement, code]) => ({
  name: `ALPN ${name}`,
  hello: base({ extensions: withAlpn(replacement) }),
  a: `t13d0508${code}`,
}));

alpnRows.push({
  name: 'no ALPN extension gives 00',
  hello: base({ extensions: withAlpn(null) }),
  a: 't13d050700',
  cWire: NO_ALPN_C_WIRE,
});

const BASE_JA3 = '771,49199-4865-49195-4867-4866,43-0-51-13-16-10-65281-11,29-23,0';

/** All sixteen GREASE values of RFC 8701, written out. */
const GREASE_VALUES = [
  0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba,
  0xcaca, 0xdada, 0xeaea, 0xfafa,
];

/** Builds a hello with `value` in every list that GREASE may appear in. */
function greaseEverywhere(value: number): HelloSpec {
  return base({
    cipherSuites: [value, ...CIPHERS],
    extensions: [
      extension(value),
      supportedVersions([value, 0x0304, 0x0303]),
      sni('example.com'),
      KEY_SHARE,
      signatureAlgorithms([value, 0x0804, 0x0403, 0x0401]),
      alpn(['h2', 'http/1.1']),
      supportedGroups([value, 0x001d, 0x0017]),
      RENEGOTIATION_INFO,
      ecPointFormats([0]),
      extension(value, fromHex('00')),
    ],
  });
}

const greaseRows: RuleCase[] = GREASE_VALUES.map((value) => ({
  name: `GREASE ${hex4(value)} is ignored`,
  hello: greaseEverywhere(value),
  a: 't13d0508h2',
  ja3Full: BASE_JA3,
}));

greaseRows.push({
  name: 'near-GREASE 0a1a is kept',
  hello: base({
    cipherSuites: [0x0a1a, ...CIPHERS],
    extensions: [
      extension(0x0a1a),
      ...replaceExtension(0x000d, signatureAlgorithms([0x0a1a, 0x0804, 0x0403, 0x0401])),
    ],
  }),
  a: 't13d0609h2',
  b: `0a1a,${B_SORTED}`,
  bWire: `0a1a,${B_WIRE}`,
  c: '000a,000b,000d,002b,0033,0a1a,ff01_0a1a,0804,0403,0401',
  cWire: '0a1a,002b,0000,0033,000d,0010,000a,ff01,000b_0a1a,0804,0403,0401',
  ja3Full: '771,2586-49199-4865-49195-4867-4866,2586-43-0-51-13-16-10-65281-11,29-23,0',
});

const listRows: RuleCase[] = [
  {
    name: 'ciphers sort in hex order',
    hello: base({ cipherSuites: [0x00ff, 0x000a, 0xc030, 0x0a0b, 0x009c] }),
    a: 't13d0508h2',
    b: '000a,009c,00ff,0a0b,c030',
    bWire: '00ff,000a,c030,0a0b,009c',
  },
  {
    name: 'no signature_algorithms drops the underscore',
    hello: base({ extensions: replaceExtension(0x000d, null) }),
    a: 't13d0507h2',
    c: '000a,000b,002b,0033,ff01',
    cWire: '002b,0000,0033,0010,000a,ff01,000b',
  },
  {
    name: 'empty signature_algorithms list drops the underscore',
    hello: base({ extensions: replaceExtension(0x000d, signatureAlgorithms([])) }),
    a: 't13d0508h2',
    c: '000a,000b,000d,002b,0033,ff01',
    cWire: '002b,0000,0033,000d,0010,000a,ff01,000b',
  },
  {
    name: 'empty signature_algorithms data drops the underscore',
    hello: base({ extensions: replaceExtension(0x000d, extension(0x000d)) }),
    a: 't13d0508h2',
    c: '000a,000b,000d,002b,0033,ff01',
    cWire: '002b,0000,0033,000d,0010,000a,ff01,000b',
  },
  {
    name: 'delegated_credentials list is ignored',
    hello: base({ extensions: [...EXTENSIONS, extension(0x0022, fromHex('0004 0503 0603'))] }),
    a: 't13d0509h2',
    c: '000a,000b,000d,0022,002b,0033,ff01_0804,0403,0401',
    cWire: '002b,0000,0033,000d,0010,000a,ff01,000b,0022_0804,0403,0401',
  },
  {
    name: 'signature_algorithms_cert list is ignored',
    hello: base({ extensions: [extension(0x0032, fromHex('0004 0503 0603')), ...EXTENSIONS] }),
    a: 't13d0509h2',
    c: '000a,000b,000d,002b,0032,0033,ff01_0804,0403,0401',
    cWire: '0032,002b,0000,0033,000d,0010,000a,ff01,000b_0804,0403,0401',
  },
  {
    name: 'no extensions block gives zeros',
    hello: { legacyVersion: 0x0301, cipherSuites: [0x002f, 0x0035], extensions: null },
    a: 't10i020000',
    b: '002f,0035',
    bWire: '002f,0035',
    c: '',
    cWire: '',
    ja3Full: '769,47-53,,,',
  },
  {
    name: 'empty extensions block gives zeros',
    hello: { legacyVersion: 0x0303, cipherSuites: [0x002f, 0x0035], extensions: [] },
    a: 't12i020000',
    b: '002f,0035',
    bWire: '002f,0035',
    c: '',
    cWire: '',
    ja3Full: '771,47-53,,,',
  },
  {
    name: 'only SNI and ALPN hash in JA4_o',
    hello: base({ extensions: [sni('example.com'), alpn(['h2'])] }),
    a: 't12d0502h2',
    c: '',
    cWire: '0000,0010',
    ja3Full: '771,49199-4865-49195-4867-4866,0-16,,',
  },
];

const ja3Rows: RuleCase[] = [
  { name: 'JA3 of the base hello', hello: base(), a: 't13d0508h2', ja3Full: BASE_JA3 },
  {
    name: 'JA3 keeps every point format',
    hello: base({ extensions: replaceExtension(0x000b, ecPointFormats([0, 1, 2])) }),
    a: 't13d0508h2',
    ja3Full: '771,49199-4865-49195-4867-4866,43-0-51-13-16-10-65281-11,29-23,0-1-2',
  },
  {
    name: 'JA3 uses legacy_version',
    hello: base({ legacyVersion: 0x0301 }),
    a: 't13d0508h2',
    ja3Full: '769,49199-4865-49195-4867-4866,43-0-51-13-16-10-65281-11,29-23,0',
  },
  {
    name: 'JA3 with empty groups and formats',
    hello: base({
      extensions: [
        ...replaceExtension(
          0x000a,
          supportedGroups([]),
          replaceExtension(0x000b, ecPointFormats([])),
        ),
      ],
    }),
    a: 't13d0508h2',
    ja3Full: '771,49199-4865-49195-4867-4866,43-0-51-13-16-10-65281-11,,',
  },
];

const tables: [string, RuleCase[]][] = [
  ['protocol character', protocolRows],
  ['version selection', versionRows],
  ['version codes', [...versionCodeRows, ...dtlsVersionCodeRows]],
  ['SNI character', sniRows],
  ['counts', countRows],
  ['ALPN characters', alpnRows],
  ['GREASE', greaseRows],
  ['lists and hashes', listRows],
  ['JA3', ja3Rows],
];

describe.each(tables)('JA4 rule: %s', (_, rows) => {
  it.each(rows.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const result = fingerprint(buildInput(row), { transport: row.transport ?? 'tcp' });
    const b = row.b ?? B_SORTED;
    const c = row.c ?? C_SORTED;
    const bWire = row.bWire ?? B_WIRE;
    const cWire = row.cWire ?? C_WIRE;

    expect(result.ja4_r, 'ja4_r').toBe(`${row.a}_${b}_${c}`);
    expect(result.ja4, 'ja4').toBe(`${row.a}_${sha256Prefix(b)}_${sha256Prefix(c)}`);
    expect(result.ja4_ro, 'ja4_ro').toBe(`${row.a}_${bWire}_${cWire}`);
    expect(result.ja4_o, 'ja4_o').toBe(`${row.a}_${sha256Prefix(bWire)}_${sha256Prefix(cWire)}`);
    if (row.ja3Full !== undefined) {
      expect(result.ja3_full, 'ja3_full').toBe(row.ja3Full);
      expect(result.ja3, 'ja3').toBe(md5(row.ja3Full));
    }
  });
});

describe('GREASE detection', () => {
  it('matches exactly the sixteen RFC 8701 values', () => {
    const expected = new Set(GREASE_VALUES);
    const mismatches: string[] = [];
    for (let value = 0; value <= 0xffff; value++) {
      if (isGrease(value) !== expected.has(value)) mismatches.push(hex4(value));
    }
    expect(mismatches).toEqual([]);
  });

  it.each([0x0a1a, 0x1a0a, 0x0a0b, 0x0b0a, 0x0b0b, 0xa0a0, 0x000a, 0x0a00])(
    'rejects near value %i',
    (value) => {
      expect(isGrease(value)).toBe(false);
    },
  );
});

describe('record layer', () => {
  const handshake = buildHandshake(base());
  const single = fingerprint(buildHello(base()));

  it.each([
    ['bare message', handshake],
    ['record version 0303', buildRecords(handshake, { recordVersion: 0x0303 })],
    ['two records', splitIntoRecords(handshake, 2)],
    ['three records', splitIntoRecords(handshake, 3)],
    ['seven records', splitIntoRecords(handshake, 7)],
    ['header split 1+2+rest', buildRecords(handshake, { fragmentSizes: [1, 2] })],
    [
      'one byte per record',
      buildRecords(handshake, { fragmentSizes: range(0, handshake.length).map(() => 1) }),
    ],
  ])('%s gives the same fingerprints', (_, input) => {
    const result = fingerprint(input);
    expect(result.ja4).toBe(single.ja4);
    expect(result.ja4_r).toBe(single.ja4_r);
    expect(result.ja4_o).toBe(single.ja4_o);
    expect(result.ja4_ro).toBe(single.ja4_ro);
    expect(result.ja3_full).toBe(single.ja3_full);
  });
});
