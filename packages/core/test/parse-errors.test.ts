import { describe, expect, it } from 'vitest';
import { readCorpus } from '../../../test/helpers/corpus.js';
import {
  ClientHelloParseError,
  isClientHelloParseError,
  measureClientHello,
  ParseErrorCode,
  type ParseOptions,
  parseClientHello,
} from '../src/index.js';
import {
  alpn,
  buildDtlsHandshake,
  buildDtlsRecord,
  buildHandshake,
  buildHello,
  buildRecords,
  concat,
  fromHex,
  latin1,
  signatureAlgorithms,
  sni,
  splitIntoRecords,
  uint,
  uint16s,
  vector,
} from './helpers/build-hello.js';

// Offsets of the fields of a hello in one TLS record with an empty
// legacy_session_id and two cipher suites.
const BODY_AT = 5 + 4;
const RANDOM_AT = BODY_AT + 2;
const SESSION_ID_AT = RANDOM_AT + 32;
const CIPHER_SUITES_AT = SESSION_ID_AT + 1;
const COMPRESSION_AT = CIPHER_SUITES_AT + 2 + 4;
const EXTENSIONS_AT = COMPRESSION_AT + 2;
const FIRST_EXTENSION_AT = EXTENSIONS_AT + 2;
/** Start of the first extension's data: after its type and length. */
const FIRST_DATA_AT = FIRST_EXTENSION_AT + 4;

const VERSION = uint(0x0303, 2);
const RANDOM = new Uint8Array(32).fill(0x11);
const NO_SESSION_ID = fromHex('00');
const CIPHERS = vector(2, uint16s([0x1301, 0x1302]));
const NULL_COMPRESSION = fromHex('01 00');

/** Wraps a ClientHello body in a handshake header and one TLS record, with correct lengths. */
function inRecord(body: Uint8Array): Uint8Array {
  return buildRecords(concat(uint(1, 1), vector(3, body)));
}

/** Builds a body with the usual fields up to compression_methods, then `tail` verbatim. */
function bodyWithTail(tail: Uint8Array): Uint8Array {
  return concat(VERSION, RANDOM, NO_SESSION_ID, CIPHERS, NULL_COMPRESSION, tail);
}

/** Builds a hello in one record whose only extension has `type` and raw `data`. */
function withOneExtension(type: number, data: Uint8Array): Uint8Array {
  return inRecord(bodyWithTail(vector(2, concat(uint(type, 2), vector(2, data)))));
}

const VALID_HELLO = buildHello({
  extensions: [sni('example.com'), alpn(['h2']), signatureAlgorithms([0x0403, 0x0804])],
});
const VALID_HANDSHAKE = buildHandshake({
  extensions: [sni('example.com'), alpn(['h2']), signatureAlgorithms([0x0403, 0x0804])],
});
const VALID_DTLS = buildDtlsRecord(buildDtlsHandshake({ extensions: [sni('example.com')] }));
const ALERT_RECORD = fromHex('15 0303 0002 0228');
/** The valid hello split after 20 bytes of its handshake message. */
const TWO_RECORDS = buildRecords(VALID_HANDSHAKE, { fragmentSizes: [20] });
const SECOND_RECORD_AT = 5 + 20;

function withByte(input: Uint8Array, position: number, value: number): Uint8Array {
  const copy = input.slice();
  copy[position] = value;
  return copy;
}

interface ErrorCase {
  name: string;
  input: Uint8Array;
  options?: ParseOptions;
  code: ParseErrorCode;
  offset: number;
  field: string;
}

const cases: ErrorCase[] = [
  // ERR_NOT_TLS
  {
    name: 'plain HTTP request',
    input: latin1('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n'),
    code: ParseErrorCode.NOT_TLS,
    offset: 0,
    field: 'record header',
  },
  {
    name: 'SSH banner',
    input: latin1('SSH-2.0-OpenSSH_9.6\r\n'),
    code: ParseErrorCode.NOT_TLS,
    offset: 0,
    field: 'record header',
  },
  {
    name: 'bare Certificate message',
    input: fromHex('0b 000003 000000'),
    code: ParseErrorCode.NOT_TLS,
    offset: 0,
    field: 'record header',
  },
  {
    name: 'record major version 2',
    input: withByte(VALID_HELLO, 1, 0x02),
    code: ParseErrorCode.NOT_TLS,
    offset: 1,
    field: 'record version',
  },
  {
    name: 'first byte 0x80 with another message type',
    input: fromHex('80 2e 02 0301'),
    code: ParseErrorCode.NOT_TLS,
    offset: 0,
    field: 'record header',
  },

  // ERR_SSLV2_HELLO
  {
    name: 'SSL 2.0 CLIENT-HELLO',
    input: fromHex(
      '80 2e 01 0301 0015 0000 0010 010080 030080 070000 00002f 000035 c0c1c2c3c4c5c6c7c8c9cacbcccdcecf',
    ),
    code: ParseErrorCode.SSLV2_HELLO,
    offset: 0,
    field: 'record header',
  },
  {
    name: 'SSL 2.0 length prefix alone',
    input: fromHex('80 2e'),
    code: ParseErrorCode.SSLV2_HELLO,
    offset: 0,
    field: 'record header',
  },

  // ERR_SERVER_HELLO
  {
    name: 'ServerHello in a record',
    input: withByte(VALID_HELLO, 5, 0x02),
    code: ParseErrorCode.SERVER_HELLO,
    offset: 5,
    field: 'msg_type',
  },
  {
    name: 'bare ServerHello',
    input: withByte(VALID_HANDSHAKE, 0, 0x02),
    code: ParseErrorCode.SERVER_HELLO,
    offset: 0,
    field: 'msg_type',
  },
  {
    name: 'ServerHello in a DTLS record',
    input: withByte(VALID_DTLS, 13, 0x02),
    options: { transport: 'dtls' },
    code: ParseErrorCode.SERVER_HELLO,
    offset: 13,
    field: 'msg_type',
  },

  // ERR_NOT_CLIENT_HELLO
  {
    name: 'Certificate in a record',
    input: withByte(VALID_HELLO, 5, 0x0b),
    code: ParseErrorCode.NOT_CLIENT_HELLO,
    offset: 5,
    field: 'msg_type',
  },
  {
    name: 'HelloRequest type 0 in a record',
    input: withByte(VALID_HELLO, 5, 0x00),
    code: ParseErrorCode.NOT_CLIENT_HELLO,
    offset: 5,
    field: 'msg_type',
  },
  {
    name: 'Certificate in a DTLS record',
    input: withByte(VALID_DTLS, 13, 0x0b),
    options: { transport: 'dtls' },
    code: ParseErrorCode.NOT_CLIENT_HELLO,
    offset: 13,
    field: 'msg_type',
  },

  // ERR_TRUNCATED (every cut point is checked in its own test below)
  {
    name: 'empty input',
    input: new Uint8Array(0),
    code: ParseErrorCode.TRUNCATED,
    offset: 0,
    field: 'handshake',
  },
  {
    name: 'record header alone',
    input: VALID_HELLO.subarray(0, 5),
    code: ParseErrorCode.TRUNCATED,
    offset: 5,
    field: 'handshake',
  },
  {
    name: 'first of two records',
    input: TWO_RECORDS.subarray(0, SECOND_RECORD_AT),
    code: ParseErrorCode.TRUNCATED,
    offset: SECOND_RECORD_AT,
    field: 'handshake',
  },

  // ERR_RECORD_MISMATCH
  {
    name: 'alert record after a partial hello',
    input: concat(TWO_RECORDS.subarray(0, SECOND_RECORD_AT), ALERT_RECORD),
    code: ParseErrorCode.RECORD_MISMATCH,
    offset: SECOND_RECORD_AT,
    field: 'record content_type',
  },
  {
    name: 'first byte of an alert record',
    input: concat(TWO_RECORDS.subarray(0, SECOND_RECORD_AT), fromHex('15')),
    code: ParseErrorCode.RECORD_MISMATCH,
    offset: SECOND_RECORD_AT,
    field: 'record content_type',
  },
  {
    name: 'application data after a partial hello',
    input: withByte(TWO_RECORDS, SECOND_RECORD_AT, 0x17),
    code: ParseErrorCode.RECORD_MISMATCH,
    offset: SECOND_RECORD_AT,
    field: 'record content_type',
  },
  {
    name: 'second record with major version 2',
    input: withByte(TWO_RECORDS, SECOND_RECORD_AT + 1, 0x02),
    code: ParseErrorCode.RECORD_MISMATCH,
    offset: SECOND_RECORD_AT + 1,
    field: 'record version',
  },

  // ERR_RECORD_LENGTH
  {
    name: 'record length 0',
    input: fromHex('16 0301 0000'),
    code: ParseErrorCode.RECORD_LENGTH,
    offset: 3,
    field: 'record length',
  },
  {
    name: 'record length 2^14+1',
    input: concat(fromHex('16 0301 4001'), new Uint8Array(16_385)),
    code: ParseErrorCode.RECORD_LENGTH,
    offset: 3,
    field: 'record length',
  },
  {
    name: 'record length 0xffff',
    input: fromHex('16 0301 ffff 01'),
    code: ParseErrorCode.RECORD_LENGTH,
    offset: 3,
    field: 'record length',
  },
  {
    name: 'second record length 0',
    input: concat(TWO_RECORDS.subarray(0, SECOND_RECORD_AT), fromHex('16 0301 0000')),
    code: ParseErrorCode.RECORD_LENGTH,
    offset: SECOND_RECORD_AT + 3,
    field: 'record length',
  },
  {
    name: 'DTLS record length 0',
    input: concat(VALID_DTLS.subarray(0, 11), fromHex('0000')),
    options: { transport: 'dtls' },
    code: ParseErrorCode.RECORD_LENGTH,
    offset: 11,
    field: 'record length',
  },

  // ERR_TOO_LARGE
  {
    name: 'record longer than maxHelloBytes',
    input: VALID_HELLO,
    options: { maxHelloBytes: 64 },
    code: ParseErrorCode.TOO_LARGE,
    offset: 3,
    field: 'record length',
  },
  {
    name: 'bare message longer than maxHelloBytes',
    input: VALID_HANDSHAKE,
    options: { maxHelloBytes: 64 },
    code: ParseErrorCode.TOO_LARGE,
    offset: 1,
    field: 'handshake length',
  },
  {
    name: 'handshake length over the default cap',
    input: fromHex('16 0301 0004 01 010000'),
    code: ParseErrorCode.TOO_LARGE,
    offset: 6,
    field: 'handshake length',
  },
  {
    // The message fits the cap, but a second record header would not.
    name: 'record headers reach maxHelloBytes',
    input: buildRecords(VALID_HANDSHAKE, { fragmentSizes: [VALID_HANDSHAKE.length - 3] }),
    options: { maxHelloBytes: VALID_HANDSHAKE.length + 2 },
    code: ParseErrorCode.TOO_LARGE,
    offset: VALID_HANDSHAKE.length + 2,
    field: 'record header',
  },
  {
    name: 'DTLS record longer than maxHelloBytes',
    input: VALID_DTLS,
    options: { transport: 'dtls', maxHelloBytes: 40 },
    code: ParseErrorCode.TOO_LARGE,
    offset: 11,
    field: 'record length',
  },

  // ERR_INVALID_LENGTH
  {
    name: 'empty handshake body',
    input: inRecord(new Uint8Array(0)),
    code: ParseErrorCode.INVALID_LENGTH,
    offset: BODY_AT,
    field: 'legacy_version',
  },
  {
    name: 'random cut short',
    input: inRecord(concat(VERSION, new Uint8Array(10))),
    code: ParseErrorCode.INVALID_LENGTH,
    offset: RANDOM_AT,
    field: 'random',
  },
  {
    name: 'session id of 33 bytes',
    input: inRecord(
      concat(VERSION, RANDOM, vector(1, new Uint8Array(33)), CIPHERS, NULL_COMPRESSION),
    ),
    code: ParseErrorCode.INVALID_LENGTH,
    offset: SESSION_ID_AT,
    field: 'legacy_session_id',
  },
  {
    name: 'session id past the end',
    input: inRecord(concat(VERSION, RANDOM, fromHex('20 0102'))),
    code: ParseErrorCode.INVALID_LENGTH,
    offset: SESSION_ID_AT,
    field: 'legacy_session_id',
  },
  {
    name: 'odd cipher_suites length',
    input: inRecord(
      concat(VERSION, RANDOM, NO_SESSION_ID, fromHex('0003 130113'), NULL_COMPRESSION),
    ),
    code: ParseErrorCode.INVALID_LENGTH,
    offset: CIPHER_SUITES_AT,
    field: 'cipher_suites',
  },
  {
    name: 'odd cipher_suites across records',
    input: buildRecords(
      concat(
        uint(1, 1),
        vector(3, concat(VERSION, RANDOM, NO_SESSION_ID, fromHex('0003 130113'), NULL_COMPRESSION)),
      ),
      { fragmentSizes: [20, 20] },
    ),
    // The cipher_suites length is byte 39 of the message: 19 bytes into the second record.
    code: ParseErrorCode.INVALID_LENGTH,
    offset: SECOND_RECORD_AT + 5 + 19,
    field: 'cipher_suites',
  },
  {
    name: 'cipher_suites past the end',
    input: inRecord(concat(VERSION, RANDOM, NO_SESSION_ID, fromHex('00ff 1301'))),
    code: ParseErrorCode.INVALID_LENGTH,
    offset: CIPHER_SUITES_AT,
    field: 'cipher_suites',
  },
  {
    name: 'compression_methods past the end',
    input: inRecord(concat(VERSION, RANDOM, NO_SESSION_ID, CIPHERS, fromHex('05 00'))),
    code: ParseErrorCode.INVALID_LENGTH,
    offset: COMPRESSION_AT,
    field: 'legacy_compression_methods',
  },
  {
    name: 'one byte of extensions length',
    input: inRecord(bodyWithTail(fromHex('01'))),
    code: ParseErrorCode.INVALID_LENGTH,
    offset: EXTENSIONS_AT,
    field: 'extensions',
  },
  {
    name: 'extensions block past the end',
    input: inRecord(bodyWithTail(fromHex('00ff 0000'))),
    code: ParseErrorCode.INVALID_LENGTH,
    offset: EXTENSIONS_AT,
    field: 'extensions',
  },
  {
    name: 'extension length past the end',
    input: inRecord(bodyWithTail(vector(2, fromHex('ff01 00ff 0000')))),
    code: ParseErrorCode.INVALID_LENGTH,
    offset: FIRST_EXTENSION_AT + 2,
    field: 'extension_data',
  },
  {
    name: 'extension length cut short',
    input: inRecord(bodyWithTail(vector(2, fromHex('ff01 00')))),
    code: ParseErrorCode.INVALID_LENGTH,
    offset: FIRST_EXTENSION_AT + 2,
    field: 'extension_data',
  },
  {
    name: 'DTLS cookie past the end',
    input: buildDtlsRecord(
      concat(
        fromHex('01 000024 0000 000000 000024'),
        VERSION,
        RANDOM,
        NO_SESSION_ID,
        fromHex('ff'),
      ),
    ),
    options: { transport: 'dtls' },
    code: ParseErrorCode.INVALID_LENGTH,
    offset: 13 + 12 + 2 + 32 + 1,
    field: 'cookie',
  },
  {
    name: 'DTLS fragment offset not zero',
    input: withByte(VALID_DTLS, 13 + 8, 0x01),
    options: { transport: 'dtls' },
    code: ParseErrorCode.INVALID_LENGTH,
    offset: 13 + 6,
    field: 'fragment_offset',
  },
  {
    name: 'DTLS record shorter than its message',
    input: buildDtlsRecord(fromHex('01 000010 0000 000000 000010 0303')),
    options: { transport: 'dtls' },
    code: ParseErrorCode.INVALID_LENGTH,
    offset: 13,
    field: 'handshake length',
  },

  // ERR_INVALID_EXTENSION
  {
    name: 'ALPN name past its list',
    input: withOneExtension(0x0010, fromHex('0003 05 6832')),
    code: ParseErrorCode.INVALID_EXTENSION,
    offset: FIRST_DATA_AT + 2,
    field: 'protocol_name',
  },
  {
    name: 'ALPN list past its extension',
    input: withOneExtension(0x0010, fromHex('0009 02 6832')),
    code: ParseErrorCode.INVALID_EXTENSION,
    offset: FIRST_DATA_AT,
    field: 'protocol_name_list',
  },
  {
    name: 'ALPN list shorter than its extension',
    input: withOneExtension(0x0010, fromHex('0002 01 68 32')),
    code: ParseErrorCode.INVALID_EXTENSION,
    offset: FIRST_DATA_AT + 4,
    field: 'protocol_name_list',
  },
  {
    name: 'ALPN with one byte of data',
    input: withOneExtension(0x0010, fromHex('00')),
    code: ParseErrorCode.INVALID_EXTENSION,
    offset: FIRST_DATA_AT,
    field: 'protocol_name_list',
  },
  {
    name: 'SNI host_name past its list',
    input: withOneExtension(0x0000, fromHex('0005 00 0010 6162')),
    code: ParseErrorCode.INVALID_EXTENSION,
    offset: FIRST_DATA_AT + 3,
    field: 'server_name host_name',
  },
  {
    name: 'SNI list shorter than its extension',
    input: withOneExtension(0x0000, fromHex('0003 00 0001 61 0000')),
    code: ParseErrorCode.INVALID_EXTENSION,
    offset: FIRST_DATA_AT + 5,
    field: 'server_name_list',
  },
  {
    name: 'SNI entry without a length',
    input: withOneExtension(0x0000, fromHex('0002 00 00')),
    code: ParseErrorCode.INVALID_EXTENSION,
    offset: FIRST_DATA_AT + 3,
    field: 'server_name host_name',
  },
  {
    name: 'odd signature_algorithms length',
    input: withOneExtension(0x000d, fromHex('0003 040305')),
    code: ParseErrorCode.INVALID_EXTENSION,
    offset: FIRST_DATA_AT,
    field: 'signature_algorithms',
  },
  {
    name: 'signature_algorithms with one byte',
    input: withOneExtension(0x000d, fromHex('00')),
    code: ParseErrorCode.INVALID_EXTENSION,
    offset: FIRST_DATA_AT,
    field: 'signature_algorithms',
  },
  {
    name: 'supported_versions past its extension',
    input: withOneExtension(0x002b, fromHex('06 0304')),
    code: ParseErrorCode.INVALID_EXTENSION,
    offset: FIRST_DATA_AT,
    field: 'supported_versions',
  },
  {
    name: 'supported_groups with a trailing byte',
    input: withOneExtension(0x000a, fromHex('0002 001d 00')),
    code: ParseErrorCode.INVALID_EXTENSION,
    offset: FIRST_DATA_AT + 4,
    field: 'supported_groups',
  },
  {
    name: 'ec_point_formats past its extension',
    input: withOneExtension(0x000b, fromHex('03 00')),
    code: ParseErrorCode.INVALID_EXTENSION,
    offset: FIRST_DATA_AT,
    field: 'ec_point_formats',
  },

  // ERR_TRAILING_DATA
  {
    name: 'byte after the record',
    input: concat(VALID_HELLO, fromHex('00')),
    code: ParseErrorCode.TRAILING_DATA,
    offset: VALID_HELLO.length,
    field: 'record',
  },
  {
    name: 'second hello after the record',
    input: concat(VALID_HELLO, VALID_HELLO),
    code: ParseErrorCode.TRAILING_DATA,
    offset: VALID_HELLO.length,
    field: 'record',
  },
  {
    name: 'byte after a bare message',
    input: concat(VALID_HANDSHAKE, fromHex('00')),
    code: ParseErrorCode.TRAILING_DATA,
    offset: VALID_HANDSHAKE.length,
    field: 'record',
  },
  {
    name: 'bytes after the hello in its record',
    input: buildRecords(concat(VALID_HANDSHAKE, fromHex('0e000000'))),
    code: ParseErrorCode.TRAILING_DATA,
    offset: 5 + VALID_HANDSHAKE.length,
    field: 'handshake',
  },
  {
    name: 'bytes after the extensions block',
    input: inRecord(bodyWithTail(fromHex('0000 abcd'))),
    code: ParseErrorCode.TRAILING_DATA,
    offset: FIRST_EXTENSION_AT,
    field: 'extensions',
  },
  {
    name: 'bytes after the hello in a DTLS record',
    input: buildDtlsRecord(concat(VALID_DTLS.subarray(13), fromHex('0000'))),
    options: { transport: 'dtls' },
    code: ParseErrorCode.TRAILING_DATA,
    offset: VALID_DTLS.length,
    field: 'handshake',
  },
];

/** Runs `action` and returns what it throws, or fails the test when it returns. */
function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but the call returned');
}

describe('parseClientHello errors', () => {
  it('cover every ParseErrorCode', () => {
    const covered = new Set(cases.map((item) => item.code));
    expect([...covered].sort()).toEqual(Object.values(ParseErrorCode).sort());
  });

  it.each(cases.map((item) => [item.name, item] as const))('%s', (_, item) => {
    const error = thrownBy(() => parseClientHello(item.input, item.options));

    expect(error).toBeInstanceOf(ClientHelloParseError);
    expect(isClientHelloParseError(error)).toBe(true);
    const parseError = error as ClientHelloParseError;
    expect(parseError.code, 'code').toBe(item.code);
    expect(parseError.offset, 'offset').toBe(item.offset);
    expect(parseError.field, 'field').toBe(item.field);
    expect(parseError.name).toBe('ClientHelloParseError');
    expect(parseError.message).toContain(`field ${item.field}, byte offset ${item.offset}`);
  });
});

describe('TRUNCATED at every cut point', () => {
  const inputs: [string, Uint8Array, ParseOptions | undefined][] = [
    ['one record', VALID_HELLO, undefined],
    ['two records', TWO_RECORDS, undefined],
    ['five records', splitIntoRecords(VALID_HANDSHAKE, 5), undefined],
    ['bare message', VALID_HANDSHAKE, undefined],
    ['DTLS record', VALID_DTLS, { transport: 'dtls' }],
    ['bare DTLS message', VALID_DTLS.subarray(13), { transport: 'dtls' }],
  ];

  it.each(inputs)('%s', (_, input, options) => {
    expect(() => parseClientHello(input, options)).not.toThrow();
    for (let cut = 0; cut < input.length; cut++) {
      const error = thrownBy(() => parseClientHello(input.subarray(0, cut), options));
      expect(isClientHelloParseError(error), `cut ${cut}`).toBe(true);
      const parseError = error as ClientHelloParseError;
      expect(parseError.code, `cut ${cut}`).toBe(ParseErrorCode.TRUNCATED);
      expect(parseError.offset, `cut ${cut}`).toBe(cut);
      expect(parseError.field, `cut ${cut}`).toBe('handshake');
    }
  });
});

describe('allowTrailingData', () => {
  it('accepts bytes after the record', () => {
    const hello = parseClientHello(concat(VALID_HELLO, ALERT_RECORD), { allowTrailingData: true });
    expect(hello.byteLength).toBe(VALID_HELLO.length);
    expect(hello.serverName).toBe('example.com');
  });

  it('accepts bytes after a bare message', () => {
    const hello = parseClientHello(concat(VALID_HANDSHAKE, fromHex('ff')), {
      allowTrailingData: true,
    });
    expect(hello.byteLength).toBe(VALID_HANDSHAKE.length);
  });

  it('still rejects bytes inside the record', () => {
    const input = buildRecords(concat(VALID_HANDSHAKE, fromHex('0e000000')));
    const error = thrownBy(() => parseClientHello(input, { allowTrailingData: true }));
    expect((error as ClientHelloParseError).code).toBe(ParseErrorCode.TRAILING_DATA);
  });
});

describe('isClientHelloParseError', () => {
  it('rejects other values', () => {
    expect(isClientHelloParseError(new Error('x'))).toBe(false);
    expect(isClientHelloParseError(new RangeError('x'))).toBe(false);
    expect(isClientHelloParseError(null)).toBe(false);
    expect(isClientHelloParseError(undefined)).toBe(false);
    expect(isClientHelloParseError('ERR_NOT_TLS')).toBe(false);
    expect(isClientHelloParseError({ code: ParseErrorCode.NOT_TLS })).toBe(false);
  });

  it('accepts the brand of another copy', () => {
    const foreign = { [Symbol.for('@ja4guard/core.ClientHelloParseError')]: true };
    expect(isClientHelloParseError(foreign)).toBe(true);
    expect(foreign instanceof ClientHelloParseError).toBe(true);
  });
});

describe('measureClientHello', () => {
  const tcpRows = readCorpus().filter(
    (row) => row.transport === 'tcp' && row.record_hex !== undefined,
  );
  const extras: [string, Uint8Array][] = [
    ['alert record', ALERT_RECORD],
    ['one byte', fromHex('00')],
    ['another hello', VALID_HELLO],
    ['HTTP bytes', latin1('GET / HTTP/1.1\r\n')],
  ];

  it('has TCP rows to measure', () => {
    expect(tcpRows.length).toBeGreaterThanOrEqual(130);
  });

  it.each(tcpRows.map((row) => [row.id, row] as const))('%s', (id, row) => {
    const input = Buffer.from(row.record_hex!, 'hex');
    let nonZero = 0;
    for (let cut = 0; cut < input.length; cut++) {
      if (measureClientHello(input.subarray(0, cut)) !== 0) nonZero++;
    }
    expect(nonZero, `${id}: strict prefixes measured as complete`).toBe(0);
    expect(measureClientHello(input), id).toBe(input.length);
    for (const [name, extra] of extras) {
      expect(measureClientHello(concat(input, extra)), `${id} + ${name}`).toBe(input.length);
    }
  });

  it('raises NOT_TLS for HTTP', () => {
    const error = thrownBy(() => measureClientHello(latin1('GET / HTTP/1.1\r\n')));
    expect((error as ClientHelloParseError).code).toBe(ParseErrorCode.NOT_TLS);
  });

  it('raises TOO_LARGE over the cap', () => {
    const error = thrownBy(() => measureClientHello(VALID_HELLO.subarray(0, 5), 64));
    expect((error as ClientHelloParseError).code).toBe(ParseErrorCode.TOO_LARGE);
  });
});
