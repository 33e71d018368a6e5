// MongoDB access for accounts: password hashes (never in the player document, so no projection or search
// can return one) and failed login attempts.
//
// Both are insert-only, because FerretDB's filtered findAndModify is not atomic: a new password is a new
// document whose _id (incarnation:version) only one writer can take, and each login attempt is its own
// document, counted by time, so concurrent attempts can neither lose a failure nor bring back a retired
// password.
//
// A password belongs to one incarnation of a player (players.incarnation, new for every profile created),
// not to its nick: passwords of a deleted profile that outlive it (a failed cleanup) never match the live
// profile, whatever the clocks of the pods that wrote them say.
import { randomUUID } from 'node:crypto';
import { ObjectId, type Collection, type Db } from 'mongodb';
import { isDuplicateKey } from '../db/errors.ts';
import { createMissingIndexes, type NamedIndex } from '../db/indexes.ts';
import { normaliseKey } from '../players/keys.ts';
import type { RepositoryOptions } from '../players/repository.ts';

export interface Credential {
  readonly nick: string;
  /** The player profile the password belongs to. */
  readonly incarnation: ObjectId;
  readonly version: number;
  readonly hash: string;
  /** Random per password: tokens carry it, so a new password never honours old tokens. */
  readonly id: string;
}

interface CredentialDocument {
  /** incarnation:version: unique, so two concurrent password changes cannot both land. */
  _id: string;
  nick: string;
  incarnation: ObjectId;
  version: number;
  hash: string;
  credentialId: string;
  at: Date;
}

interface LoginAttemptDocument {
  _id: ObjectId;
  nick: string;
  at: Date;
  /** Set once judged a wrong password; until then the attempt is still being checked (or its process died). */
  failed?: true;
}

export class CredentialTakenError extends Error {
  override name = 'CredentialTakenError';
}

/**
 * Attempts older than the window are deleted by the service, at most this often per process. Not by a TTL
 * index: FerretDB 1.24 has none, and one code path on every server is one that the tests exercise.
 */
const pruneIntervalMs = 60_000;

/** Each backs one filter below (README "MongoDB: collections and indexes"). */
const accountIndexes = {
  credentials: [{ key: { nick: 1, incarnation: 1, version: -1 }, name: 'nick_incarnation_version' }],
  loginAttempts: [
    { key: { nick: 1, at: -1 }, name: 'nick_at' },
    // The prune's delete carries no time limit (the driver sends none with deletes), so it must not scan.
    { key: { at: 1 }, name: 'at' },
  ],
} as const satisfies Record<string, readonly NamedIndex[]>;

export class AccountRepository {
  readonly #credentials: Collection<CredentialDocument>;
  readonly #attempts: Collection<LoginAttemptDocument>;
  /** maxTimeMS of every query, as in PlayerRepository (the driver sends none with inserts and deletes). */
  readonly #limit: { readonly maxTimeMS: number };
  #lastPrune = 0;

  constructor(db: Db, options: RepositoryOptions) {
    this.#limit = { maxTimeMS: options.operationTimeoutMs };
    this.#credentials = db.collection<CredentialDocument>('credentials');
    this.#attempts = db.collection<LoginAttemptDocument>('loginAttempts');
  }

  /** Idempotent on every server: creates only the indexes that are missing. */
  async ensureIndexes(): Promise<string[]> {
    return [...(await createMissingIndexes(this.#credentials, accountIndexes.credentials)), ...(await createMissingIndexes(this.#attempts, accountIndexes.loginAttempts))];
  }

  /** The password in force for that profile: its highest version. */
  async current(nick: string, incarnation: ObjectId): Promise<Credential | undefined> {
    const document = await this.#credentials.findOne({ nick: normaliseKey(nick), incarnation }, { sort: { version: -1 }, ...this.#limit });
    return document === null ? undefined : { nick: document.nick, incarnation: document.incarnation, version: document.version, hash: document.hash, id: document.credentialId };
  }

  /** The first password of the profile `incarnation`. */
  async createFirst(nick: string, incarnation: ObjectId, hash: string, now: Date): Promise<void> {
    await this.#insert(normaliseKey(nick), incarnation, 1, hash, now);
  }

  /**
   * Replaces password `previous`; CredentialTakenError when another change got there first. That change
   * may have been followed by more, whose cleanup freed this version's _id again: the new password is in
   * force only if no higher version exists once it is written, and is removed again otherwise.
   */
  async replace(previous: Credential, hash: string, now: Date): Promise<Credential> {
    const next = await this.#insert(previous.nick, previous.incarnation, previous.version + 1, hash, now);
    if ((await this.current(previous.nick, previous.incarnation))?.id !== next.id) {
      await this.#credentials.deleteOne({ _id: credentialKey(next.incarnation, next.version), credentialId: next.id });
      throw new CredentialTakenError(credentialKey(next.incarnation, next.version));
    }
    // Older versions are outranked already; removing them only saves space.
    await this.#credentials.deleteMany({ nick: previous.nick, incarnation: previous.incarnation, version: { $lt: next.version } }).catch(() => undefined);
    return next;
  }

  /** After the profile `incarnation` is deleted: its passwords. */
  async removeAll(nick: string, incarnation: ObjectId): Promise<void> {
    await this.#credentials.deleteMany({ nick: normaliseKey(nick), incarnation });
  }

  /** Records an attempt before its outcome is known; a crash mid-login leaves it counted as a failure. */
  async recordAttempt(nick: string, now: Date, windowMs: number): Promise<ObjectId> {
    const _id = new ObjectId();
    await this.#attempts.insertOne({ _id, nick: normaliseKey(nick), at: now });
    await this.#prune(new Date(now.getTime() - windowMs));
    return _id;
  }

  /** How many attempts at `nick` since `since`, counting up to `limit`. */
  async countRecentAttempts(nick: string, since: Date, limit: number): Promise<number> {
    return this.#attempts.countDocuments({ nick: normaliseKey(nick), at: { $gt: since } }, { limit, ...this.#limit });
  }

  /** Judged failures at `nick` since `since`, and attempts left unjudged since before `abandonedBefore`; newest first, at most `limit`. */
  async recentFailures(nick: string, since: Date, abandonedBefore: Date, limit: number): Promise<Date[]> {
    const filter = { nick: normaliseKey(nick), at: { $gt: since }, $or: [{ failed: true as const }, { at: { $lt: abandonedBefore } }] };
    const documents = await this.#attempts.find(filter, this.#limit).sort({ at: -1 }).limit(limit).toArray();
    return documents.map((document) => document.at);
  }

  /** The attempt was a wrong password: it counts as it did, and now says why (for the 429's wording). */
  async markFailed(id: ObjectId): Promise<void> {
    await this.#attempts.updateOne({ _id: id }, { $set: { failed: true } });
  }

  /** A successful or throttled attempt is not a failure: it stops counting. */
  async forgetAttempt(id: ObjectId): Promise<void> {
    await this.#attempts.deleteOne({ _id: id });
  }

  async #insert(nick: string, incarnation: ObjectId, version: number, hash: string, at: Date): Promise<Credential> {
    const document: CredentialDocument = { _id: credentialKey(incarnation, version), nick, incarnation, version, hash, credentialId: randomUUID(), at };
    try {
      await this.#credentials.insertOne(document);
    } catch (error) {
      if (isDuplicateKey(error)) throw new CredentialTakenError(document._id);
      throw error;
    }
    return { nick, incarnation, version, hash, id: document.credentialId };
  }

  /** Only saves space: throttling counts attempts by time, whether old ones are gone or not, so a failure fails no login. */
  async #prune(before: Date): Promise<void> {
    if (Date.now() - this.#lastPrune < pruneIntervalMs) return;
    this.#lastPrune = Date.now();
    await this.#attempts.deleteMany({ at: { $lt: before } }).catch(() => undefined);
  }
}

const credentialKey = (incarnation: ObjectId, version: number) => `${incarnation.toHexString()}:${String(version)}`;
