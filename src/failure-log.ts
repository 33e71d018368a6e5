// A failure that repeats with the same cause (a readiness probe every few seconds, a retry loop) is
// logged once, as one line without a stack trace; a new cause is logged again, repeats go to debug.
import type { Logger } from './logger.ts';

export interface FailureLog {
  failed(error: unknown, fields?: Record<string, unknown>): void;
  /** The next failure is news again, whatever its cause. */
  recovered(): void;
}

export function failureLog(logger: Logger, message: string): FailureLog {
  let lastCause: string | undefined;
  return {
    failed(error, fields = {}) {
      const reason = error instanceof Error ? error.message : String(error);
      // Connection numbers, ports and durations vary between otherwise identical failures.
      const cause = `${error instanceof Error ? error.name : 'Error'}: ${reason.replace(/\d+/g, '#')}`;
      const line = { ...fields, reason };
      if (cause === lastCause) {
        logger.debug(line, message);
        return;
      }
      lastCause = cause;
      logger.warn(line, message);
    },
    recovered() {
      lastCause = undefined;
    },
  };
}
