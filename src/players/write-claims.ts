// Write claims in playerWrites: proof that one writer, and only one, moves a player from a version to the
// next. The claim's _id is unique, so exactly one writer gets it, on any server: a filtered
// findOneAndUpdate alone is atomic on MongoDB but not on FerretDB's SQLite backend, which filters and
// writes in separate steps.
import { randomUUID } from 'node:crypto';
import type { Collection, Db, ObjectId } from 'mongodb';
import { insertClaim } from '../db/claims.ts';
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

/** The shortest time after which a claim counts as abandoned, whatever the operation timeout. */
const minAbandonedClaimMs = 30_000;

export class WriteClaims {
  readonly #claims: Collection<WriteClaim>;
  readonly #limit: { readonly maxTimeMS: number };
  readonly #abandonedMs: number;

  constructor(db: Db, operationTimeoutMs: number) {
    this.#claims = db.collection<WriteClaim>('playerWrites');
    this.#limit = { maxTimeMS: operationTimeoutMs };
    // A claim is removed as soon as its write has landed or failed. A write holds it for at most the
    // write and the release, each bounded by the operation timeout; a claim older than twice that
    // belongs to a process that died mid-write, and no longer blocks the player.
    this.#abandonedMs = Math.max(minAbandonedClaimMs, 2 * operationTimeoutMs);
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
    if (!(await this.#claim(claim))) return undefined;
    try {
      return await write();
    } finally {
      await this.#claims.findOneAndDelete({ _id: claim._id, owner: claim.owner }, this.#limit).catch(() => undefined);
    }
  }

  /** Removes the claims of a deleted player: those of crashed writers would otherwise outlive it. */
  async forget(incarnation: ObjectId): Promise<void> {
    await this.#claims.deleteMany({ incarnation });
  }

  async #claim(claim: WriteClaim): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await insertClaim(this.#claims, claim)) return true;
      const holder = await this.#claims.findOne({ _id: claim._id }, this.#limit);
      if (holder === null) continue;
      if (holder.at.getTime() >= claim.at.getTime() - this.#abandonedMs) return false;
      if (!(await this.#takeOver(claim, holder))) return false;
    }
    return false;
  }

  /**
   * Removes an abandoned claim, if this writer is the one to take it over: the first to record the
   * takeover, under a unique _id. Two writers that both delete it would each go on to claim: on FerretDB
   * a delete filters first and then deletes by _id, so the slower one can remove the faster one's new
   * claim. The record names the abandoned claim and the period, so a taker that died leaves a record
   * that blocks only until the next period.
   */
  async #takeOver(claim: WriteClaim, holder: WriteClaim): Promise<boolean> {
    const period = Math.floor(claim.at.getTime() / this.#abandonedMs);
    const takeover: WriteClaim = { ...claim, _id: `${claim._id}:takeover:${holder.owner}:${String(period)}` };
    if (!(await insertClaim(this.#claims, takeover))) return false;
    await this.#claims.deleteOne({ _id: claim._id, owner: holder.owner }, this.#limit);
    await this.#claims.deleteOne({ _id: takeover._id, owner: takeover.owner }, this.#limit);
    return true;
  }
}
