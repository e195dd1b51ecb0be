import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { measureClientHello, type Transport } from '@ja4guard/core';
import { decodeHexLine } from '../hex.js';
import { JsonLineWriter } from '../output.js';
import { detectCaptureFormat } from '../pcap/reader.js';
import { errorRow, fingerprintBytes, isErrorRow, parseErrorRow, type ResultRow } from '../rows.js';
import {
  type CliIo,
  type CommandDefinition,
  EXIT_INPUT_ERROR,
  EXIT_SUCCESS,
  type ParsedArguments,
  UsageError,
} from './command.js';
import { describeFileError, fingerprintCapture } from './fingerprint-pcap.js';

const TRANSPORTS: readonly Transport[] = ['tcp', 'quic', 'dtls'];
const TLS_HANDSHAKE_RECORD = 0x16;

export const fingerprintCommand: CommandDefinition = {
  name: 'fingerprint',
  summary: 'Print the JA4 and JA3 fingerprints of ClientHellos as JSON lines.',
  synopsis: ['fingerprint [--transport tcp|quic|dtls] [--file PATH | --pcap PATH]'],
  options: [
    {
      name: 'transport',
      valueName: 'tcp|quic|dtls',
      choices: TRANSPORTS,
      description:
        'Transport the ClientHellos came over, which sets the first character of JA4 (t, q or d). --pcap accepts only tcp.',
      defaultValue: 'tcp',
    },
    {
      name: 'file',
      valueName: 'PATH',
      description:
        'Read binary TLS records from PATH instead of hex from standard input. The file may contain several ClientHellos back to back, or one bare handshake message.',
    },
    {
      name: 'pcap',
      valueName: 'PATH',
      description:
        'Read a pcap or pcapng capture and print the first ClientHello of every TCP stream that starts with a TLS handshake record.',
    },
  ],
  details: [
    'Standard input contains one ClientHello per line, in hex: TLS records (starting 16) or a bare handshake message (starting 01). A leading 0x is ignored, and colons or spaces may separate the bytes. Blank lines are skipped.',
    'Each output line is a JSON object with ja4, ja4_r, ja4_o, ja4_ro, ja3 and ja3_full, or {"error": {"code", "offset", "message"}} for input that does not parse. Rows for standard input start with "line" (the input line number), and rows for --pcap start with "stream" ("source:port -> destination:port").',
    '--pcap reads classic pcap and pcapng files with Ethernet (including VLAN tags), raw IP, Linux cooked (SLL and SLL2) and BSD loopback links, over IPv4 and IPv6. It reassembles the bytes that the client of each TCP stream sends, up to 64 KiB. UDP is skipped, so QUIC and DTLS hellos in a capture are not read.',
    'Exit status: 0 when every input parsed, 1 when some input did not parse or a capture is corrupt, 2 for a usage error such as an unknown option or a missing file.',
  ],
  run: runFingerprint,
};

async function runFingerprint(parsed: ParsedArguments, io: CliIo): Promise<number> {
  const extra = parsed.positionals[0];
  if (extra !== undefined) {
    throw new UsageError(`unexpected argument '${extra}' for 'fingerprint'`);
  }
  const transport = (parsed.options.get('transport') ?? 'tcp') as Transport;
  const file = optionString(parsed, 'file');
  const pcap = optionString(parsed, 'pcap');
  if (file !== undefined && pcap !== undefined) {
    throw new UsageError('options --file and --pcap cannot be used together');
  }
  if (pcap !== undefined && transport !== 'tcp') {
    throw new UsageError(
      `--transport ${transport} cannot be used with --pcap, which reads TCP streams only`,
    );
  }

  const writer = new JsonLineWriter(io.stdout);
  if (pcap !== undefined) {
    return fingerprintCapture(pcap, writer, io.stderr);
  }
  if (file !== undefined) {
    return fingerprintFile(file, transport, writer);
  }
  return fingerprintHexLines(io.stdin, transport, writer);
}

/** Reads hex lines as they arrive, so that input of any size runs in constant memory. */
async function fingerprintHexLines(
  input: NodeJS.ReadableStream,
  transport: Transport,
  writer: JsonLineWriter,
): Promise<number> {
  // NOTE: readline keeps each whole line in memory, so one very long line is buffered in
  // full before the parser rejects it as larger than a ClientHello can be.
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let failures = 0;
  let lineNumber = 0;

  for await (const line of lines) {
    lineNumber += 1;
    if (writer.closed) {
      break;
    }
    if (line.trim() === '') {
      continue;
    }
    const decoded = decodeHexLine(line);
    const row = decoded.ok
      ? fingerprintBytes(decoded.bytes, transport)
      : errorRow(decoded.error.code, decoded.error.offset, decoded.error.message);
    if (isErrorRow(row)) {
      failures += 1;
    }
    await writer.write({ line: lineNumber, ...row });
  }
  lines.close();

  return failures === 0 ? EXIT_SUCCESS : EXIT_INPUT_ERROR;
}

/**
 * Fingerprints a binary file. A file that starts with a TLS record is split into
 * ClientHellos with measureClientHello; any other file is one bare handshake message.
 * Error offsets count from the start of the file.
 */
async function fingerprintFile(
  path: string,
  transport: Transport,
  writer: JsonLineWriter,
): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(`cannot read --file ${path}: ${describeFileError(error)}`);
  }
  if (detectCaptureFormat(bytes) !== undefined) {
    throw new UsageError(`--file ${path} is a packet capture; read it with --pcap ${path}`);
  }

  const rows =
    bytes[0] === TLS_HANDSHAKE_RECORD
      ? splitRecords(bytes, transport)
      : [fingerprintBytes(bytes, transport)];
  let failures = 0;
  for (const row of rows) {
    if (isErrorRow(row)) {
      failures += 1;
    }
    await writer.write(row);
  }
  return failures === 0 ? EXIT_SUCCESS : EXIT_INPUT_ERROR;
}

/** Fingerprints each ClientHello of a file of TLS records, stopping at the first error. */
function splitRecords(bytes: Uint8Array, transport: Transport): ResultRow[] {
  const rows: ResultRow[] = [];
  let position = 0;

  while (position < bytes.length) {
    const rest = bytes.subarray(position);
    let length: number;
    try {
      length = measureClientHello(rest);
    } catch (error) {
      rows.push(parseErrorRow(error, position));
      break;
    }
    if (length === 0) {
      // The file ends inside a ClientHello: parsing the rest reports where.
      rows.push(fingerprintBytes(rest, transport, position));
      break;
    }
    rows.push(fingerprintBytes(rest.subarray(0, length), transport, position));
    position += length;
  }
  return rows;
}

function optionString(parsed: ParsedArguments, name: string): string | undefined {
  const value = parsed.options.get(name);
  return typeof value === 'string' ? value : undefined;
}
