// Which driver errors mean "MongoDB is unreachable right now" (503, retry later) rather than a bug (500).
import {
  MongoClientClosedError,
  MongoNetworkError,
  MongoServerError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

const unavailableErrors = [
  MongoServerSelectionError,
  MongoNetworkError,
  MongoOperationTimeoutError,
  MongoNotConnectedError,
  MongoTopologyClosedError,
  // Closed at shutdown under a handler still waiting on it.
  MongoClientClosedError,
];

/**
 * Socket and DNS errors the driver lets through unwrapped, e.g. EPIPE when MongoDB closed a pooled
 * connection, or ENOTFOUND from the SRV lookup of a mongodb+srv:// URI (which a DNS outage causes too).
 */
const networkErrorCodes = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEOUT', 'ESERVFAIL']);

export function isDatabaseUnavailable(error: unknown): boolean {
  if (unavailableErrors.some((type) => error instanceof type)) return true;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && networkErrorCodes.has(code);
}

/** MongoDB's MaxTimeMSExpired (FerretDB answers the same): the operation outlived its maxTimeMS. */
const maxTimeMsExpired = 50;

export function isDatabaseTimeout(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === maxTimeMsExpired;
}

/** MongoDB's E11000 (FerretDB answers the same): a unique index already holds the key. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}
