// Parse plus JA4 of one ClientHello: ja4guard against read-tls-client-hello,
// median nanoseconds per hello over batches, in the same process.
import { PassThrough } from 'node:stream';
import { fingerprint } from '@ja4guard/core';
import { calculateJa4, readTlsClientHello } from 'read-tls-client-hello';
import { chromeLikeHello, chromeRow } from './lib/hello.mjs';
import { median } from './lib/stats.mjs';

/** Returns a byte stream (not object mode) that delivers `bytes` as a socket would. */
function byteStream(bytes) {
  const stream = new PassThrough();
  stream.end(bytes);
  return stream;
}

const BATCHES = 200;
const BATCH_SIZE = 500;

function measureSync(run) {
  for (let i = 0; i < BATCH_SIZE * 20; i++) run();
  const perHello = [];
  for (let batch = 0; batch < BATCHES; batch++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH_SIZE; i++) run();
    perHello.push(Number(process.hrtime.bigint() - start) / BATCH_SIZE);
  }
  return median(perHello);
}

async function measureAsync(run, batches, batchSize) {
  for (let i = 0; i < batchSize * 5; i++) await run();
  const perHello = [];
  for (let batch = 0; batch < batches; batch++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batchSize; i++) await run();
    perHello.push(Number(process.hrtime.bigint() - start) / batchSize);
  }
  return median(perHello);
}

/** Runs the parse benchmark and returns its figures. */
export async function benchParse() {
  const hello = chromeLikeHello();
  const expected = chromeRow().ja4;
  const ours = fingerprint(hello).ja4;
  if (ours !== expected) throw new Error(`benchmark hello gives ${ours}, expected ${expected}`);

  let sink = '';
  const ja4guardNs = measureSync(() => {
    sink = fingerprint(hello).ja4;
  });
  const referenceJa4 = calculateJa4(await readTlsClientHello(byteStream(hello)));
  const referenceNs = await measureAsync(
    async () => {
      sink = calculateJa4(await readTlsClientHello(byteStream(hello)));
    },
    40,
    50,
  );
  return {
    helloBytes: hello.length,
    ja4: ours,
    referenceJa4,
    ja4guardNs,
    referenceNs,
    sink: sink.length,
  };
}
