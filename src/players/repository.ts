// MongoDB access for players. Returns plain records, never driver objects. Queries are built only from
// validated scalars, so nothing a client sends can become an operator.
//
// Works on MongoDB 7/8 and FerretDB 1.24 alike, which is why searchable facts are stored pre-computed
// (gameKeys, competitiveGameKeys, ...) instead of queried with $elemMatch, game titles are kept in
// their own collection instead of picked with $first in an aggregation, and a write to an existing
// player first claims its next version in playerWrites (see write-claims.ts).
import { createHash } from 'node:crypto';
import { ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import { isDuplicateKey } from '../db/errors.ts';
import { createMissingIndexes, type NamedIndex } from '../db/indexes.ts';
import { PendingDeletions, type PendingDeletion } from './deletions.ts';
import { gameKeysOf, GameTitles } from './game-titles.ts';
import { normaliseKey } from './keys.ts';
import type { Player, PlayerInput } from './schema.ts';
import { WriteClaims, type PlayerVersion } from './write-claims.ts';

/** A player as stored: the API fields, its revision (the ETag), and which version of which player it is. */
export interface StoredPlayer {
  readonly player: Player;
  /** Opaque: derived from `version`, which it does not reveal. */
  readonly revision: string;
  readonly version: PlayerVersion;
}

/** Whether `stored` is the profile that `profile` (hex of an incarnation) names, e.g. the one a token was issued for. */
export const isProfile = (stored: StoredPlayer | undefined, profile: string): boolean => stored?.version.incarnation.toHexString() === profile;

export interface SearchCriteria {
  readonly gameKey?: string | undefined;
  readonly platform?: string | undefined;
  readonly region?: string | undefined;
  readonly language?: string | undefined;
  readonly competitive?: boolean | undefined;
  readonly minAge?: number | undefined;
  readonly maxAge?: number | undefined;
  /** Exclusive lower bound on the normalised nick: the page before ended there. */
  readonly afterNickKey?: string | undefined;
  readonly limit: number;
}

export type WriteOutcome = StoredPlayer | 'missing' | 'conflict';

export interface PlayerDocument extends PlayerInput {
  /** The normalised nick: lookups by _id are index-backed on MongoDB and pushed down on FerretDB. */
  _id: string;
  /** New for every player created, so a deleted and re-created nick never matches an old ETag. */
  incarnation: ObjectId;
  gameKeys: string[];
  competitiveGameKeys: string[];
  casualGameKeys: string[];
  playsCompetitive: boolean;
  playsCasual: boolean;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export class DuplicateNickError extends Error {
  override name = 'DuplicateNickError';
}

/**
 * Every index the service relies on besides _id (the unique normalised nick); each backs one filter and
 * keeps results in nick order for paging (README "Indexes").
 */
export const playerIndexes: readonly NamedIndex[] = [
  { key: { gameKeys: 1, _id: 1 }, name: 'game_nick' },
  { key: { competitiveGameKeys: 1, _id: 1 }, name: 'competitive_game_nick' },
  { key: { casualGameKeys: 1, _id: 1 }, name: 'casual_game_nick' },
  { key: { playsCompetitive: 1, _id: 1 }, name: 'plays_competitive_nick' },
  { key: { playsCasual: 1, _id: 1 }, name: 'plays_casual_nick' },
  { key: { platforms: 1, _id: 1 }, name: 'platform_nick' },
  { key: { region: 1, _id: 1 }, name: 'region_nick' },
  { key: { languages: 1, _id: 1 }, name: 'language_nick' },
  { key: { age: 1, _id: 1 }, name: 'age_nick' },
];

/** Client-owned fields that may be absent, so a full replace has to remove them. */
const optionalFields = ['bio', 'contact'] as const;

/** Everything but the derived search fields; _id, incarnation and version make the revision. */
export const projection = {
  gameKeys: 0,
  competitiveGameKeys: 0,
  casualGameKeys: 0,
  playsCompetitive: 0,
  playsCasual: 0,
} as const;

export interface RepositoryOptions {
  /**
   * maxTimeMS of every query, so the server itself stops one that runs long instead of letting it hold a
   * pooled connection. The driver sends none with insert, update and delete commands; those here only
   * touch documents by _id or by the incarnation index, so they have nothing to scan.
   */
  readonly operationTimeoutMs: number;
}

/** How many unfinished deletions one check finishes: the next check takes the rest. */
const unfinishedDeletionsPerCheck = 100;

/** The players collection; other domains read it (e.g. matches), only this repository writes it. */
export const playerCollection = (db: Db): Collection<PlayerDocument> => db.collection<PlayerDocument>('players');

export class PlayerRepository {
  readonly #players: Collection<PlayerDocument>;
  readonly #titles: GameTitles;
  readonly #claims: WriteClaims;
  readonly #deletions: PendingDeletions;
  readonly #limit: { readonly maxTimeMS: number };

  constructor(db: Db, options: RepositoryOptions) {
    this.#limit = { maxTimeMS: options.operationTimeoutMs };
    this.#players = playerCollection(db);
    this.#titles = new GameTitles(db, options.operationTimeoutMs, async (key) => (await this.#players.findOne({ gameKeys: key }, { projection: { _id: 1 }, ...this.#limit })) !== null);
    this.#claims = new WriteClaims(db, options.operationTimeoutMs);
    this.#deletions = new PendingDeletions(db, options.operationTimeoutMs);
  }

  /** Idempotent on every server: creates only the indexes that are missing. */
  async ensureIndexes(): Promise<string[]> {
    return [...(await createMissingIndexes(this.#players, playerIndexes)), ...(await this.#claims.ensureIndexes()), ...(await this.#deletions.ensureIndexes())];
  }

  /** A new player; `incarnation` tells this profile apart from any other that has had or will have its nick. */
  async insert(input: PlayerInput, incarnation: ObjectId, now: Date): Promise<StoredPlayer> {
    const document = newDocument(input, incarnation, now);
    try {
      await this.#players.insertOne(document);
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateNickError(input.nick);
      throw error;
    }
    await this.#titles.remember(document.gameKeys, input.games);
    return toStored(document);
  }

  /** Many new players in one round trip, for seeding (the benchmark); a taken nick fails the call. */
  async insertMany(inputs: readonly PlayerInput[], now: Date): Promise<void> {
    await this.#players.insertMany(inputs.map((input) => newDocument(input, new ObjectId(), now)));
    const games = inputs.flatMap((input) => input.games);
    await this.#titles.remember(gameKeysOf(games), games);
  }

  async findByNick(nick: string): Promise<StoredPlayer | undefined> {
    const document = await this.#players.findOne({ _id: normaliseKey(nick) }, { projection, ...this.#limit });
    return document === null ? undefined : toStored(document);
  }

  /**
   * Replaces every client-owned field of the player, if it is still at the version read: the
   * compare-and-set that keeps concurrent edits from overwriting each other.
   */
  async replace(read: StoredPlayer, input: PlayerInput, now: Date): Promise<WriteOutcome> {
    const current = read.version;
    const derived = derivedFields(input);
    const updated = await this.#claims.whileClaimed(current, now, async () => {
      const { nick: _identity, ...fields } = input;
      const unset = Object.fromEntries(optionalFields.filter((field) => input[field] === undefined).map((field) => [field, ''] as const));
      return this.#players.findOneAndUpdate(
        current,
        {
          $set: { ...fields, ...derived, updatedAt: now, version: current.version + 1 },
          ...(Object.keys(unset).length === 0 ? {} : { $unset: unset }),
        },
        // No projection: FerretDB does not support one on findAndModify, and toStored picks the fields anyway.
        { returnDocument: 'after', ...this.#limit },
      );
    });
    if (updated === undefined || updated === null) return this.#conflictOrMissing(current);
    await this.#titles.remember(derived.gameKeys, input.games);
    await this.#titles.forgetUnlessPlayed(gameKeysOf(read.player.games).filter((key) => !derived.gameKeys.includes(key)));
    return toStored(updated);
  }

  /**
   * Deletes the player, if it is still at the version read, and what this repository keeps of it. The
   * deletion is recorded first; the caller ends it with deletionDone once what other domains keep is gone
   * too (see deletions.ts).
   */
  async delete(read: StoredPlayer, now: Date): Promise<'deleted' | 'missing' | 'conflict'> {
    const current = read.version;
    const pending: PendingDeletion = { _id: current.incarnation.toHexString(), nick: current._id, incarnation: current.incarnation, gameKeys: gameKeysOf(read.player.games), at: now };
    await this.#deletions.record(pending);
    const deleted = await this.#claims.whileClaimed(current, now, async () => (await this.#players.findOneAndDelete(current, this.#limit)) !== null);
    // The record stays: another deletion of this profile may have won and recorded it too, and may yet die
    // before finishing. The upkeep ends it either way (deletions.ts).
    if (deleted !== true) return this.#conflictOrMissing(current);
    await this.#forgetDeleted(pending);
    return 'deleted';
  }

  async deletionDone(incarnation: ObjectId): Promise<void> {
    await this.#deletions.done(incarnation);
  }

  /**
   * Deletions recorded before `before` and never done: each whose player is gone is returned, after what
   * this repository keeps of it is removed, for the caller to finish; one whose player still exists never
   * happened, and its record goes.
   */
  async unfinishedDeletions(before: Date): Promise<PendingDeletion[]> {
    const unfinished: PendingDeletion[] = [];
    for (const pending of await this.#deletions.olderThan(before, unfinishedDeletionsPerCheck)) {
      if ((await this.#players.countDocuments({ _id: pending.nick, incarnation: pending.incarnation }, { limit: 1, ...this.#limit })) > 0) {
        await this.#deletions.done(pending.incarnation);
        continue;
      }
      await this.#forgetDeleted(pending);
      unfinished.push(pending);
    }
    return unfinished;
  }

  /** Claims of crashed writers would otherwise outlive the player, and so would the titles only it played. */
  async #forgetDeleted(deleted: PendingDeletion): Promise<void> {
    await this.#claims.forget(deleted.incarnation);
    await this.#titles.forgetUnlessPlayed(deleted.gameKeys);
  }

  /** One page in normalised-nick order; asks for one extra document to know whether another page exists. */
  async search(criteria: SearchCriteria): Promise<{ items: Player[]; lastNickKey: string | undefined }> {
    const documents = await this.#players
      .find(searchFilter(criteria), { projection, ...this.#limit })
      .sort({ _id: 1 })
      .limit(criteria.limit + 1)
      .toArray();
    const page = documents.slice(0, criteria.limit);
    const hasMore = documents.length > criteria.limit;
    return {
      items: page.map((document) => toStored(document).player),
      lastNickKey: hasMore ? page.at(-1)?._id : undefined,
    };
  }

  /** Titles with how many players play each, most played first. */
  async gameStats(limit: number): Promise<{ title: string; players: number }[]> {
    const counts = await this.#players
      .aggregate<{ _id: string; players: number }>([
        { $unwind: '$gameKeys' },
        { $group: { _id: '$gameKeys', players: { $sum: 1 } } },
        { $sort: { players: -1, _id: 1 } },
        { $limit: limit },
      ], this.#limit)
      .toArray();
    const titleByKey = await this.#titles.titlesOf(counts.map((count) => count._id));
    return counts.map((count) => ({ title: titleByKey.get(count._id) ?? count._id, players: count.players }));
  }

  async #conflictOrMissing(current: PlayerVersion): Promise<'conflict' | 'missing'> {
    const exists = await this.#players.countDocuments({ _id: current._id, incarnation: current.incarnation }, { limit: 1, ...this.#limit });
    return exists > 0 ? 'conflict' : 'missing';
  }

}

function newDocument(input: PlayerInput, incarnation: ObjectId, now: Date): PlayerDocument {
  return { _id: normaliseKey(input.nick), incarnation, ...input, ...derivedFields(input), createdAt: now, updatedAt: now, version: 1 };
}

function derivedFields(input: PlayerInput) {
  const competitive = input.games.filter((game) => game.competitive);
  const casual = input.games.filter((game) => !game.competitive);
  return {
    gameKeys: gameKeysOf(input.games),
    competitiveGameKeys: gameKeysOf(competitive),
    casualGameKeys: gameKeysOf(casual),
    playsCompetitive: competitive.length > 0,
    playsCasual: casual.length > 0,
  };
}

function searchFilter(criteria: SearchCriteria): Filter<PlayerDocument> {
  const filter: Filter<PlayerDocument> = {};
  if (criteria.gameKey !== undefined) {
    if (criteria.competitive === undefined) filter.gameKeys = criteria.gameKey;
    else if (criteria.competitive) filter.competitiveGameKeys = criteria.gameKey;
    else filter.casualGameKeys = criteria.gameKey;
  } else if (criteria.competitive !== undefined) {
    if (criteria.competitive) filter.playsCompetitive = true;
    else filter.playsCasual = true;
  }
  if (criteria.platform !== undefined) filter.platforms = criteria.platform as PlayerDocument['platforms'][number];
  if (criteria.region !== undefined) filter.region = criteria.region as PlayerDocument['region'];
  if (criteria.language !== undefined) filter.languages = criteria.language;
  if (criteria.minAge !== undefined || criteria.maxAge !== undefined) {
    filter.age = { ...(criteria.minAge === undefined ? {} : { $gte: criteria.minAge }), ...(criteria.maxAge === undefined ? {} : { $lte: criteria.maxAge }) };
  }
  if (criteria.afterNickKey !== undefined) filter._id = { $gt: criteria.afterNickKey };
  return filter;
}

interface ApiShapedDocument extends PlayerInput {
  _id: string;
  incarnation: ObjectId;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

/**
 * The ETag value: which player (a re-created nick is a new one) and which version of it, hashed, so it
 * does not reveal the ObjectId (its creation time, machine and process bytes and counter).
 */
function revisionOf(version: PlayerVersion): string {
  return createHash('sha256').update(`${version.incarnation.toHexString()}:${String(version.version)}`).digest('base64url').slice(0, 22);
}

export function toStored(document: ApiShapedDocument): StoredPlayer {
  const { createdAt, updatedAt, nick, firstName, lastName, age, platforms, games, region, languages, bio, contact } = document;
  const player: Player = {
    nick,
    firstName,
    lastName,
    age,
    platforms,
    games,
    region,
    languages,
    ...(bio === undefined ? {} : { bio }),
    ...(contact === undefined ? {} : { contact }),
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
  };
  const version = { _id: document._id, incarnation: document.incarnation, version: document.version };
  return { player, revision: revisionOf(version), version };
}
