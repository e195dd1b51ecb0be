import type { TlsFingerprint } from '@ja4guard/core';
import { expectTypeOf, test } from 'vitest';
import type { GuardContext, GuardFingerprint } from '../src/index.js';

// Checked by `pnpm typecheck`: the core fingerprint must stay assignable to the guard's shape.
test('core fingerprint fits guard', () => {
  expectTypeOf<TlsFingerprint>().toExtend<GuardFingerprint>();
  expectTypeOf<TlsFingerprint | null>().toExtend<GuardContext['fingerprint']>();
});
