import type { CaptureOptions } from '@ja4guard/core';
import type { ConnectionHook } from '../connection/stage.js';

type ClientHelloHook = NonNullable<CaptureOptions['onClientHello']>;

/**
 * Returns the capture options with the guard's connection hook added to
 * `onClientHello`. A user's own hook runs first. When it returns `'drop'`
 * the guard is not called, and otherwise the guard's verdict is returned. An
 * `onClientHello` that is not a function is left in place, so that `attach()`
 * rejects it with its usual error.
 */
export function withConnectionHook(
  capture: CaptureOptions | undefined,
  hook: ConnectionHook | null,
): CaptureOptions | undefined {
  if (hook === null) {
    return capture;
  }
  const own = capture?.onClientHello;
  if (own !== undefined && typeof own !== 'function') {
    return capture;
  }
  return { ...capture, onClientHello: own === undefined ? hook : chainHooks(own, hook) };
}

function chainHooks(first: ClientHelloHook, second: ConnectionHook): ClientHelloHook {
  return (event, socket) => {
    const verdict = first(event, socket);
    if (verdict === 'drop') {
      return 'drop';
    }
    if (typeof verdict === 'string') {
      return second(event, socket);
    }
    return Promise.resolve(verdict).then((settled) =>
      settled === 'drop' ? 'drop' : second(event, socket),
    );
  };
}
