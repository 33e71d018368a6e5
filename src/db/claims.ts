// Claims: documents whose unique _id lets exactly one writer have them. Inserting one is the only write
// that both MongoDB and FerretDB refuse atomically when another got there first (FerretDB matches the
// filter of any other write on a snapshot, then writes by _id).
import type { Collection, Document, OptionalUnlessRequiredId } from 'mongodb';
import { isDuplicateKey } from './errors.ts';

/** Inserts `claim`; false when a document with its _id exists already. */
export async function insertClaim<T extends Document>(collection: Collection<T>, claim: OptionalUnlessRequiredId<T>): Promise<boolean> {
  try {
    await collection.insertOne(claim);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}
