// Deletions in progress, in playerDeletions: recorded before a player is deleted and removed once what
// is kept of the player elsewhere (write claims, game titles, looking-for-group posts and slots,
// passwords) is gone too. A process that dies in between, a deletion whose answer is lost, and one that
// lost a race leave their record behind; the upkeep finishes the deletion, or drops the record of one that
// never happened (PlayerService.finishDeletions).
import type { Collection, Db, ObjectId } from 'mongodb';
import { createMissingIndexes, type NamedIndex } from '../db/indexes.ts';

/** A deleted profile: its normalised nick and its incarnation. */
export interface DeletedProfile {
  readonly nick: string;
  readonly incarnation: ObjectId;
}

export interface PendingDeletion {
  /** The incarnation's hex: one record per profile. */
  _id: string;
  /** The normalised nick. */
  nick: string;
  incarnation: ObjectId;
  /** The titles the player played, whose display spelling may have to go with them. */
  gameKeys: string[];
  at: Date;
}

/** The upkeep asks for the oldest records. */
const deletionIndexes: readonly NamedIndex[] = [{ key: { at: 1 }, name: 'at' }];

export class PendingDeletions {
  readonly #deletions: Collection<PendingDeletion>;
  readonly #limit: { readonly maxTimeMS: number };

  constructor(db: Db, operationTimeoutMs: number) {
    this.#deletions = db.collection<PendingDeletion>('playerDeletions');
    this.#limit = { maxTimeMS: operationTimeoutMs };
  }

  async ensureIndexes(): Promise<string[]> {
    return createMissingIndexes(this.#deletions, deletionIndexes);
  }

  async record(deletion: PendingDeletion): Promise<void> {
    await this.#deletions.replaceOne({ _id: deletion._id }, deletion, { upsert: true });
  }

  async done(incarnation: ObjectId): Promise<void> {
    await this.#deletions.deleteOne({ _id: incarnation.toHexString() });
  }

  /** Records older than `before`, oldest first, at most `limit`: no deletion still running is this slow. */
  async olderThan(before: Date, limit: number): Promise<PendingDeletion[]> {
    return this.#deletions.find({ at: { $lt: before } }, this.#limit).sort({ at: 1 }).limit(limit).toArray();
  }
}
