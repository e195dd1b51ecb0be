import type { GuardContext, GuardFingerprint } from '../../src/index.js';

/** JA4 of a Chrome-like ClientHello. */
export const CHROME_JA4 = 't13d1516h2_8daaf6152771_e5627efa2ab1';
/** JA4 of a curl-like ClientHello. */
export const CURL_JA4 = 't13d3112h2_e8f1e7e78f70_6bebaf5329ac';
/** A JA3 hash. */
export const CHROME_JA3 = 'cd08e31494f9531f560d64c695473da9';

/** Builds a fingerprint with Chrome-like defaults. */
export function fingerprint(overrides: Partial<GuardFingerprint> = {}): GuardFingerprint {
  return {
    ja4: CHROME_JA4,
    ja3: CHROME_JA3,
    serverName: 'www.example.com',
    alpnProtocols: ['h2', 'http/1.1'],
    ...overrides,
  };
}

/** Builds a request context; `fingerprint: null` models a request without one. */
export function context(
  overrides: Partial<Omit<GuardContext, 'fingerprint'>> & {
    fingerprint?: GuardFingerprint | null;
  } = {},
): GuardContext {
  return {
    fingerprint: fingerprint(),
    ip: '203.0.113.7',
    method: 'GET',
    path: '/',
    host: 'www.example.com',
    headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0' },
    ...overrides,
  };
}

/** Creates a logger that records every call, for asserting on outage and error logs. */
export function recordingLogger() {
  const calls: Array<{ level: 'info' | 'warn' | 'error'; object: object; message: string }> = [];
  return {
    calls,
    info: (object: object, message: string) => calls.push({ level: 'info', object, message }),
    warn: (object: object, message: string) => calls.push({ level: 'warn', object, message }),
    error: (object: object, message: string) => calls.push({ level: 'error', object, message }),
  };
}

/** Calls `condition` every `stepMs` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return condition();
}
