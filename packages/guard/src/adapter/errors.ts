import { GuardErrorCode } from '../errors.js';

/**
 * Error that ends a request when the guard check fails for an internal reason
 * and `failClosed` is set. Without `failClosed` such a request goes on. A
 * Redis outage is not such a failure: the guard handles it itself.
 */
export class GuardCheckError extends Error {
  override readonly name = 'GuardCheckError';
  readonly code = GuardErrorCode.CHECK_FAILED;
  /** HTTP status for the framework's error handler. */
  readonly statusCode = 500;

  constructor() {
    super(
      'The ja4guard check failed, and failClosed is set, so the request was not served. The cause is in the error log.',
    );
  }
}

/** Builds the adapter's own error class for an invalid option. */
export type InvalidOption = (option: string, value: unknown, expected: string) => Error;
