import type { ClientHello } from '../parser/client-hello.js';
import { isGrease } from '../tls.js';

// JA3 (Salesforce, 2017): the decimal values of legacy_version, cipher suites,
// extension types, supported groups and EC point formats, fields joined by ","
// and values by "-", GREASE removed. The fingerprint is the MD5 of that string.

function joinDecimal(values: readonly number[] | null, skipGrease: boolean): string {
  let text = '';
  if (values === null) return text;
  for (const value of values) {
    if (skipGrease && isGrease(value)) continue;
    if (text.length > 0) text += '-';
    text += value;
  }
  return text;
}

/** The ClientHello fields JA3 reads. */
export type Ja3Input = Pick<
  ClientHello,
  'legacyVersion' | 'cipherSuites' | 'extensionTypes' | 'supportedGroups' | 'ecPointFormats'
>;

/** Builds the JA3 string (`ja3_full`), for example `771,4865-4866,0-23-65281,29-23,0`. */
export function ja3String(hello: Ja3Input): string {
  const extensionTypes = hello.extensionTypes;
  return [
    hello.legacyVersion,
    joinDecimal(hello.cipherSuites, true),
    joinDecimal(extensionTypes, true),
    joinDecimal(hello.supportedGroups, true),
    joinDecimal(hello.ecPointFormats, false),
  ].join(',');
}
