import { generate } from 'selfsigned';

export interface TestCertificate {
  key: string;
  cert: string;
}

let pending: Promise<TestCertificate> | undefined;

/** Returns a self-signed certificate for localhost and 127.0.0.1, made once per test process. */
export function testCertificate(): Promise<TestCertificate> {
  pending ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 2 * 86_400_000),
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  }).then((pems) => ({ key: pems.private, cert: pems.cert }));
  return pending;
}
