// Builds the benchmark's ClientHello: Chrome's hello from the FoxIO corpus,
// with a hybrid X25519MLKEM768 key share (group 0x11ec, 1,216 bytes) added in
// front of its X25519 share, as Chrome sends since version 131. That brings
// it to about 1.7 KB and leaves its JA4 unchanged.
import { readFileSync } from 'node:fs';
import { parseClientHello } from '@ja4guard/core';

const CORPUS = new URL('../../../shared/corpus/foxio-clienthellos.jsonl', import.meta.url);
const CHROME_ROW = 'chrome-cloudflare-quic-with-secrets.pcapng#tcp.stream=0';
const KEY_SHARE = 0x0033;
const X25519_MLKEM768 = 0x11ec;
const MLKEM768_X25519_SHARE_BYTES = 1_216;

function u16(value) {
  return Buffer.from([value >> 8, value & 0xff]);
}

function u24(value) {
  return Buffer.from([value >> 16, (value >> 8) & 0xff, value & 0xff]);
}

function vector16(body) {
  return Buffer.concat([u16(body.length), body]);
}

/** Returns the Chrome row of the corpus: its record bytes and expected JA4. */
export function chromeRow() {
  for (const line of readFileSync(CORPUS, 'utf8').split('\n')) {
    if (line.includes(`"id":"${CHROME_ROW}"`)) {
      const row = JSON.parse(line);
      return { bytes: Buffer.from(row.record_hex, 'hex'), ja4: row.expected.ja4 };
    }
  }
  throw new Error(`corpus row ${CHROME_ROW} not found in ${CORPUS.pathname}`);
}

/** Builds the Chrome-like hello as one TLS record. */
export function chromeLikeHello() {
  const { bytes } = chromeRow();
  const hello = parseClientHello(bytes);
  const extensions = hello.extensions.map((extension) => {
    if (extension.type !== KEY_SHARE)
      return { type: extension.type, data: Buffer.from(extension.data) };
    const shares = Buffer.from(extension.data).subarray(2);
    const hybrid = Buffer.concat([
      u16(X25519_MLKEM768),
      vector16(Buffer.alloc(MLKEM768_X25519_SHARE_BYTES, 0x5a)),
    ]);
    return { type: KEY_SHARE, data: vector16(Buffer.concat([hybrid, shares])) };
  });
  const body = Buffer.concat([
    u16(hello.legacyVersion),
    Buffer.from(hello.random),
    Buffer.from([hello.sessionId.length]),
    Buffer.from(hello.sessionId),
    vector16(Buffer.concat(hello.cipherSuites.map(u16))),
    Buffer.from([hello.compressionMethods.length, ...hello.compressionMethods]),
    vector16(Buffer.concat(extensions.map((e) => Buffer.concat([u16(e.type), vector16(e.data)])))),
  ]);
  const handshake = Buffer.concat([Buffer.from([1]), u24(body.length), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), u16(handshake.length), handshake]);
}
