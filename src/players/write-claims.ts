// Write claims in playerWrites: proof that one writer, and only one, moves a player from a version to the
// next. The claim's _id is unique, so exactly one writer gets it, on any server: a filtered
// findOneAndUpdate alone is atomic on MongoDB but not on FerretDB's SQLite backend, which filters and
// writes in separate steps.
import { randomUUID } from 'node:crypto';
import type { Collection, Db, ObjectId } from 'mongodb';
import { Claims } from '../db/claims.ts';
import { createMissingIndexes, type NamedIndex } from '../db/indexes.ts';

/** Which player (by normalised nick and incarnation) at which version. */
export interface PlayerVersion {
  _id: string;
  incarnation: ObjectId;
  version: number;
}

interface WriteClaim {
  /** The player's incarnation and the version the write moves it to. */
  _id: string;
  incarnation: ObjectId;
  /** Random per claim, so a writer releases only its own claim, never one that took over from it. */
  owner: string;
  at: Date;
}

/** Finds the claims of a deleted player, whose crashed writers' claims would otherwise outlive it. */
export const claimIndexes: readonly NamedIndex[] = [{ key: { incarnation: 1 }, name: 'incarnation' }];

export class WriteClaims {
  readonly #claims: Collection<WriteClaim>;
  readonly #claimed: Claims<WriteClaim>;
  readonly #limit: { readonly maxTimeMS: number };

  constructor(db: Db, operationTimeoutMs: number) {
    this.#claims = db.collection<WriteClaim>('playerWrites');
    // A claim is removed as soon as its write has landed or failed; one older than the abandoned age
    // belongs to a process that died mid-write, and is taken over (db/claims.ts).
    this.#claimed = new Claims(this.#claims, operationTimeoutMs);
    this.#limit = { maxTimeMS: operationTimeoutMs };
  }

  async ensureIndexes(): Promise<string[]> {
    return createMissingIndexes(this.#claims, claimIndexes);
  }

  /**
   * Runs `write` holding the claim to move the player on from `current.version`, or returns undefined when
   * another writer holds it. Releasing it afterwards is safe: the version has moved on (or not), and the
   * write's own filter on `version` turns a late writer away.
   */
  async whileClaimed<T>(current: PlayerVersion, now: Date, write: () => Promise<T>): Promise<T | undefined> {
    const claim: WriteClaim = {
      _id: `${current.incarnation.toHexString()}:${String(current.version + 1)}`,
      incarnation: current.incarnation,
      owner: randomUUID(),
      at: now,
    };
    if (!(await this.#claimed.take(claim))) return undefined;
    try {
      return await write();
    } finally {
      // Only this writer removes its own claim (its owner is random): one delete, no release record.
      await this.#claimed.removeOwn(claim);
    }
  }

  /** Removes the claims of a deleted player: those of crashed writers would otherwise outlive it. */
  async forget(incarnation: ObjectId): Promise<void> {
    await this.#claims.deleteMany({ incarnation }, this.#limit);
  }
}
