/**
 * A mistake in what the user gave us (a file, an option, a data row). The CLI prints its message
 * alone, without a stack trace, and exits with a non-zero code.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
