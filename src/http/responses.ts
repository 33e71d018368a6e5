// What routes declare about their bodies and problem responses, shared so every route documents them alike.
import { problemSchema } from './problem.ts';
import type { ResponseSpec } from './route.ts';

/** Content types of a plain JSON request body. */
export const jsonBody = ['application/json'];

/** A documented application/problem+json response. */
export const problem = (description: string): ResponseSpec => ({ description, schema: problemSchema, contentType: 'application/problem+json' });

/** Problems any route with input may answer. */
export const commonProblems = {
  400: problem('Invalid input; `errors` lists each offending field'),
  503: problem('MongoDB is unreachable; retry later'),
} as const;

/** Problems any route with a request body may answer. */
export const writeProblems = {
  ...commonProblems,
  413: problem('Body larger than the configured limit'),
  415: problem('Body is not JSON'),
} as const;

/** Routes that hash a password: the hashing queue can be full too (src/auth/passwords.ts). */
export const hashingUnavailable = { ...problem('MongoDB is unreachable, or too many password checks are waiting; retry after Retry-After seconds'), headers: ['Retry-After'] };
