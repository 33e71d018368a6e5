// Index setup that is idempotent on every supported server: only missing indexes are created, one per
// createIndexes call. FerretDB 1.24 panics ("slice bounds out of range") when one call names two or
// more indexes that already exist, so asking again for all of them would fail every restart.
import { MongoServerError, type Collection, type Document, type IndexDescription } from 'mongodb';

/** MongoDB's NamespaceNotFound: listIndexes on a collection that does not exist yet. */
const namespaceNotFound = 26;

export interface NamedIndex extends IndexDescription {
  readonly name: string;
}

/** Creates those of `indexes` that the collection lacks; returns them as collection.index names. */
export async function createMissingIndexes<T extends Document>(collection: Collection<T>, indexes: readonly NamedIndex[]): Promise<string[]> {
  const existing = new Set(await indexNames(collection));
  const missing = indexes.filter((index) => !existing.has(index.name));
  for (const index of missing) await collection.createIndexes([index]);
  return missing.map((index) => `${collection.collectionName}.${index.name}`);
}

export async function indexNames<T extends Document>(collection: Collection<T>): Promise<string[]> {
  try {
    const indexes = await collection.listIndexes().toArray() as { name?: unknown }[];
    return indexes.map((index) => String(index.name));
  } catch (error) {
    if (error instanceof MongoServerError && error.code === namespaceNotFound) return [];
    throw error;
  }
}
