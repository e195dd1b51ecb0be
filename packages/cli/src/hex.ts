/** Error codes for a hex line that cannot be decoded. */
export type HexErrorCode = 'ERR_INVALID_HEX' | 'ERR_ODD_HEX_LENGTH';

export interface HexError {
  readonly code: HexErrorCode;
  /** Zero-based character position in the line, counted before any trimming. */
  readonly offset: number;
  readonly message: string;
}

export type HexDecodeResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly error: HexError };

const SEPARATOR = /[\s:]/;

/**
 * Decodes one line of hex into bytes.
 *
 * Surrounding whitespace and one leading `0x` or `0X` are ignored. Colons and whitespace
 * may split the digits into groups (`16:03:01`, `1603 0100`), but each group must contain an
 * even number of digits, so a separator can never fall inside a byte. Upper and lower
 * case digits are both accepted.
 */
export function decodeHexLine(line: string): HexDecodeResult {
  let start = skipWhitespace(line, 0);
  let end = line.length;
  while (end > start && SEPARATOR.test(line.charAt(end - 1))) {
    end -= 1;
  }
  if (line.startsWith('0x', start) || line.startsWith('0X', start)) {
    start += 2;
  }

  const bytes = new Uint8Array(Math.ceil((end - start) / 2));
  let length = 0;
  let groupStart = start;
  let high = -1;

  for (let index = start; index <= end; index += 1) {
    const atEnd = index === end;
    const character = atEnd ? '' : line.charAt(index);

    if (atEnd || SEPARATOR.test(character)) {
      if (high !== -1) {
        return failure('ERR_ODD_HEX_LENGTH', groupStart, oddGroupMessage(groupStart, index));
      }
      groupStart = index + 1;
      continue;
    }

    const digit = hexDigitValue(line.charCodeAt(index));
    if (digit === -1) {
      const message = `invalid hex character ${JSON.stringify(character)} at column ${index + 1} (offset ${index}); expected 0-9, a-f or A-F`;
      return failure('ERR_INVALID_HEX', index, message);
    }

    if (high === -1) {
      high = digit;
    } else {
      bytes[length] = high * 16 + digit;
      length += 1;
      high = -1;
    }
  }

  return { ok: true, bytes: bytes.subarray(0, length) };
}

function hexDigitValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

function skipWhitespace(line: string, from: number): number {
  let index = from;
  while (index < line.length && /\s/.test(line.charAt(index))) {
    index += 1;
  }
  return index;
}

function oddGroupMessage(groupStart: number, groupEnd: number): string {
  const digits = groupEnd - groupStart;
  return `odd number of hex digits (${digits}) starting at column ${groupStart + 1} (offset ${groupStart}); every byte needs two digits`;
}

function failure(code: HexErrorCode, offset: number, message: string): HexDecodeResult {
  return { ok: false, error: { code, offset, message } };
}
