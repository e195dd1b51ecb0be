/** Error for an invalid option of {@link attach} or {@link createServer}, thrown when the capture is set up. */
export class CaptureOptionError extends TypeError {
  override readonly name = 'CaptureOptionError';
  readonly code = 'ERR_INVALID_CAPTURE_OPTION';
  /** Name of the option. */
  readonly option: string;
  /** The value received. */
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string) {
    super(
      `Invalid capture option ${option}: expected ${expected}, received ${describe(value)}. Fix the value passed to attach() or createServer().`,
    );
    this.option = option;
    this.value = value;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
