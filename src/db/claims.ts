// Claims: documents whose unique _id lets exactly one writer have them. Inserting one is the only write
// that both MongoDB and FerretDB refuse atomically when another got there first (FerretDB matches the
// filter of any other write on a snapshot, then writes by _id). Removing one safely takes a claim too:
// two removers that both delete would, on FerretDB, let the slower one delete by _id whatever claim took
// the place of the one it matched. So a remover first claims the removal itself (a release record), and
// a claim, release records included, that is older than `abandonedMs` belongs to a process that died
// holding it: the next writer removes it, through a release record of its own, and carries on. A claim
// its own writer could not remove (MongoDB unreachable at that moment) is removed again in the background
// as soon as MongoDB answers, so an outage of seconds blocks its player for seconds, not the abandoned age.
import { randomUUID } from 'node:crypto';
import type { Collection, Filter, OptionalUnlessRequiredId } from 'mongodb';
import { isDuplicateKey } from './errors.ts';

export interface Claim {
  _id: string;
  /**
   * Random per claim, so a remover deletes only this claim, never one that took its _id since. Absent
   * only on looking-for-group claims made before it existed: those are told apart by their time.
   */
  owner?: string;
  at: Date;
}

/** The shortest time after which a claim counts as abandoned, whatever the operation timeout. */
const minAbandonedMs = 30_000;
/** How often claims this process failed to remove are tried again. */
const removalRetryMs = 1000;

export class Claims<T extends Claim> {
  readonly #collection: Collection<T>;
  readonly #limit: { readonly maxTimeMS: number };
  readonly #abandonedMs: number;
  readonly #releaseFields: Partial<T>;
  /** This process's own claims whose removal failed, by _id and owner, to be removed by the retry timer. */
  readonly #unremoved = new Map<string, T>();
  #retry: NodeJS.Timeout | undefined;

  /**
   * A writer holds a claim for a few operations, each bounded by `operationTimeoutMs`: one older than
   * twice that (and 30 s) belongs to a process that died. `releaseFields` mark release records, which
   * otherwise copy the claim they release (so whatever removes that claim's owner removes them too).
   */
  constructor(collection: Collection<T>, operationTimeoutMs: number, releaseFields: Partial<T> = {}) {
    this.#collection = collection;
    this.#limit = { maxTimeMS: operationTimeoutMs };
    this.#abandonedMs = Math.max(minAbandonedMs, 2 * operationTimeoutMs);
    this.#releaseFields = releaseFields;
  }

  /** Inserts `claim`; false when a document with its _id exists already. */
  async insert(claim: T): Promise<boolean> {
    try {
      await this.#collection.insertOne(claim as OptionalUnlessRequiredId<T>);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      // The insert may have landed with only its answer lost (a connection cut): the claim would then
      // block everyone, its writer's retry included, until abandoned.
      if (claim.owner !== undefined) await this.removeOwn(claim);
      throw error;
    }
  }

  /**
   * Inserts `claim`, first removing a holder abandoned by `claim.at` if `mayRemove` agrees (a join's
   * membership is not abandoned while its seat is held). False while another writer holds it.
   */
  async take(claim: T, mayRemove: (holder: T) => Promise<boolean> = () => Promise.resolve(true)): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await this.insert(claim)) return true;
      const holder = (await this.#collection.findOne({ _id: claim._id } as Filter<T>, this.#limit)) as T | null;
      if (holder === null) continue;
      if (holder.at.getTime() >= claim.at.getTime() - this.#abandonedMs || !(await mayRemove(holder))) return false;
      if (!(await this.release(holder, claim.at))) return false;
    }
    return false;
  }

  /**
   * Whether the holder of `claim` may still act on it at `now`. Past half the abandoned age another
   * writer may soon take it over, and a process's clock may differ from another's by the other half.
   */
  heldInTime(claim: T, now: Date): boolean {
    return now.getTime() - claim.at.getTime() < this.#abandonedMs / 2;
  }

  /** Deletes this very claim if this caller is its one remover; false when another is, or it is gone. */
  async release(claim: T, now: Date): Promise<boolean> {
    // A claim made before owners existed is told apart from later ones with its _id by its time.
    const { _id, owner, at } = claim;
    const itself = (owner === undefined ? { _id, at } : { _id, owner }) as Filter<T>;
    const record: T = { ...claim, ...this.#releaseFields, _id: `${_id}:release:${owner ?? at.toISOString()}`, owner: randomUUID(), at: now };
    if (!(await this.take(record))) return false;
    try {
      const { deletedCount } = await this.#collection.deleteOne(itself, this.#limit);
      return deletedCount > 0;
    } finally {
      await this.removeOwn(record);
    }
  }

  /**
   * Removes a claim this writer took (its owner is random, so never a successor's). If MongoDB cannot be
   * reached, the removal is retried every second while the claim is still held in time (heldInTime); it
   * never throws.
   */
  async removeOwn(claim: T): Promise<void> {
    try {
      await this.#deleteOwn(claim);
    } catch {
      this.#unremoved.set(`${claim._id} ${claim.owner ?? ''}`, claim);
      if (this.#retry === undefined) this.#retry = setTimeout(() => void this.#removeUnremoved(), removalRetryMs).unref();
    }
  }

  async #removeUnremoved(): Promise<void> {
    for (const [key, claim] of this.#unremoved) {
      this.#unremoved.delete(key);
      // Past that, another writer may be taking the claim over, and a late delete could remove its successor.
      if (!this.heldInTime(claim, new Date())) continue;
      try {
        await this.#deleteOwn(claim);
      } catch {
        this.#unremoved.set(key, claim);
        break;
      }
    }
    this.#retry = this.#unremoved.size === 0 ? undefined : setTimeout(() => void this.#removeUnremoved(), removalRetryMs).unref();
  }

  async #deleteOwn(claim: T): Promise<void> {
    await this.#collection.deleteOne({ _id: claim._id, owner: claim.owner } as Filter<T>, this.#limit);
  }
}
