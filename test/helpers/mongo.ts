// The MongoDB-wire server the suite runs against: MONGODB_URI when set (CI starts FerretDB; a real
// MongoDB works the same), otherwise an embedded mongod. Every test file gets databases of its own.
import { randomBytes } from 'node:crypto';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../src/db/embedded.ts';
import { inCI } from './ci.ts';

let embedded: Promise<EmbeddedMongo> | undefined;

/** Base connection string without a database path. */
export async function serverUri(): Promise<string> {
  const configured = process.env.MONGODB_URI;
  if (configured !== undefined && configured !== '') return configured.replace(/^(mongodb(?:\+srv)?:\/\/[^/]+)\/?[^?]*/, '$1/');
  if (inCI) throw new Error('MONGODB_URI is required in CI (.ci/run starts FerretDB and sets it)');
  embedded ??= startEmbeddedMongo(undefined);
  return (await embedded).uri;
}

/** A database name nobody else uses: safe for parallel test files and repeated runs. */
export function uniqueDatabaseName(prefix: string): string {
  return `${prefix.replace(/[^A-Za-z0-9]/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
}

/** The connection string for `database` on the test server. */
export async function databaseUri(database: string): Promise<string> {
  return (await serverUri()).replace(/^(mongodb(?:\+srv)?:\/\/[^/]+)\//, `$1/${database}`);
}
