// MongoDB access for accounts: password hashes (never in the player document, so no projection or search
// can return one) and failed login attempts.
//
// Both are insert-only, because FerretDB's filtered findAndModify is not atomic: a new password is a new
// document whose _id (nick:version) only one writer can take, and each login attempt is its own document,
// counted by time, so concurrent attempts can neither lose a failure nor bring back a retired password.
import { randomUUID } from 'node:crypto';
import { ObjectId, type Collection, type Db } from 'mongodb';
import { isDuplicateKey, normaliseKey } from '../players/repository.ts';

export interface Credential {
  readonly nick: string;
  readonly version: number;
  readonly hash: string;
  /** Random per password: tokens carry it, so a re-created nick or a new password never honours old tokens. */
  readonly id: string;
}

interface CredentialDocument {
  /** nick:version: unique, so two concurrent password changes cannot both land. */
  _id: string;
  nick: string;
  version: number;
  hash: string;
  credentialId: string;
  at: Date;
}

interface LoginAttemptDocument {
  _id: ObjectId;
  nick: string;
  at: Date;
}

export class CredentialTakenError extends Error {
  override name = 'CredentialTakenError';
}

/**
 * Attempts older than the window are deleted by the service, at most this often per process. Not by a TTL
 * index: FerretDB 1.24 has none, and one code path on every server is one that the tests exercise.
 */
const pruneIntervalMs = 60_000;

export class AccountRepository {
  readonly #credentials: Collection<CredentialDocument>;
  readonly #attempts: Collection<LoginAttemptDocument>;
  #lastPrune = 0;

  constructor(db: Db) {
    this.#credentials = db.collection<CredentialDocument>('credentials');
    this.#attempts = db.collection<LoginAttemptDocument>('loginAttempts');
  }

  async ensureIndexes(): Promise<void> {
    await this.#credentials.createIndexes([{ key: { nick: 1, version: -1 }, name: 'nick_version' }]);
    await this.#attempts.createIndexes([{ key: { nick: 1, at: -1 }, name: 'nick_at' }]);
  }

  /** The password in force: the highest version. */
  async current(nick: string): Promise<Credential | undefined> {
    const document = await this.#credentials.findOne({ nick: normaliseKey(nick) }, { sort: { version: -1 } });
    return document === null ? undefined : { nick: document.nick, version: document.version, hash: document.hash, id: document.credentialId };
  }

  /**
   * The first password of a player created at `createdAt`. Leftovers of an earlier player with this nick
   * (a delete interrupted before its cleanup) go first, so they cannot outrank it.
   */
  async createFirst(nick: string, hash: string, createdAt: Date): Promise<void> {
    const key = normaliseKey(nick);
    await this.#credentials.deleteMany({ nick: key, at: { $lt: createdAt } });
    await this.#insert(key, 1, hash, createdAt);
  }

  /** Replaces password `previous`; CredentialTakenError when another change got there first. */
  async replace(previous: Credential, hash: string, now: Date): Promise<Credential> {
    const next = await this.#insert(previous.nick, previous.version + 1, hash, now);
    // Older versions are outranked already; removing them only saves space.
    await this.#credentials.deleteMany({ nick: previous.nick, version: { $lt: next.version } }).catch(() => undefined);
    return next;
  }

  /** After the player is deleted: every password set up to then. */
  async removeAll(nick: string, deletedAt: Date): Promise<void> {
    await this.#credentials.deleteMany({ nick: normaliseKey(nick), at: { $lte: deletedAt } });
  }

  /** Records an attempt before its outcome is known; a crash mid-login leaves it counted as a failure. */
  async recordAttempt(nick: string, now: Date, windowMs: number): Promise<ObjectId> {
    const _id = new ObjectId();
    await this.#attempts.insertOne({ _id, nick: normaliseKey(nick), at: now });
    await this.#prune(new Date(now.getTime() - windowMs));
    return _id;
  }

  /** Attempts at `nick` since `since`, newest first, at most `limit`. */
  async recentAttempts(nick: string, since: Date, limit: number): Promise<{ id: ObjectId; at: Date }[]> {
    const documents = await this.#attempts.find({ nick: normaliseKey(nick), at: { $gt: since } }).sort({ at: -1 }).limit(limit).toArray();
    return documents.map((document) => ({ id: document._id, at: document.at }));
  }

  /** A successful or throttled attempt is not a failure: it stops counting. */
  async forgetAttempt(id: ObjectId): Promise<void> {
    await this.#attempts.deleteOne({ _id: id });
  }

  async #insert(nick: string, version: number, hash: string, at: Date): Promise<Credential> {
    const document: CredentialDocument = { _id: `${nick}:${String(version)}`, nick, version, hash, credentialId: randomUUID(), at };
    try {
      await this.#credentials.insertOne(document);
    } catch (error) {
      if (isDuplicateKey(error)) throw new CredentialTakenError(document._id);
      throw error;
    }
    return { nick, version, hash, id: document.credentialId };
  }

  /** Only saves space: throttling counts attempts by time, whether old ones are gone or not. */
  async #prune(before: Date): Promise<void> {
    if (Date.now() - this.#lastPrune < pruneIntervalMs) return;
    this.#lastPrune = Date.now();
    await this.#attempts.deleteMany({ at: { $lt: before } });
  }
}
