// Which driver errors mean "MongoDB is unreachable right now" (503, retry later) rather than a bug (500).
import {
  MongoNetworkError,
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
];

export function isDatabaseUnavailable(error: unknown): boolean {
  return unavailableErrors.some((type) => error instanceof type);
}
