// Player use cases: identity rules, preconditions (ETag / If-Match), merge patches, search paging.
// Knows nothing of Koa or the driver: routes hand it validated input, the repository stores it.
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { ObjectId } from 'mongodb';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { AppError, invalidToken, notFound, tokenRevoked, validationError } from '../errors.ts';
import type { DeletedProfile } from './deletions.ts';
import { applyMergePatch } from './merge-patch.ts';
import { normaliseKey } from './keys.ts';
import { DuplicateNickError, isProfile, type PlayerRepository, type StoredPlayer } from './repository.ts';
import { maxGameStatsLimit, nickSchema, playerInputSchema, type Player, type PlayerInput, type PlayerSearch } from './schema.ts';
import { SharedResult } from './shared-result.ts';

/**
 * The profile a player's token was issued for (hex of its incarnation), when a player writes; undefined
 * for the operator. A write then lands on that profile only, never on a later one that took the nick.
 */
export type Writer = string | undefined;

/** Versions named by an If-Match or If-None-Match header: `*` (any current version) or a list of revisions. */
export type Revisions = '*' | readonly string[];

/** RFC 9110 §13.1: the write needs the player at one of `match`, and at none of `noneMatch`. */
export interface Precondition {
  readonly match?: Revisions;
  readonly noneMatch?: Revisions;
}

export interface PlayerPage {
  readonly items: Player[];
  readonly nextCursor: string | null;
}

/** Where a search page ended: the normalised nick of its last player. */
const searchPosition = z.strictObject({ after: nickSchema });

/** Concurrent writes without If-Match are retried on the latest version this many times. */
const writeAttempts = 20;

/**
 * How long one count of players per game serves GET /v1/games. Counting reads the whole players
 * collection, far too much per request; keeping counts on every write needs an atomic $inc, which
 * FerretDB's SQLite backend does not have (concurrent increments get lost).
 */
const gameStatsFreshForMs = 5000;

/** A deletion still recorded this long after it began has stopped (finishing one that has not does no harm: every step is idempotent). */
const unfinishedAfterMs = 60_000;

export type GameStats = { title: string; players: number }[];

export class PlayerService {
  readonly #repository: PlayerRepository;
  readonly #onRegistered: () => void;
  readonly #gameStats: SharedResult<GameStats>;
  readonly #onDeleted: (deleted: DeletedProfile) => Promise<void>;

  /**
   * `onDeleted` runs after a player is deleted, to remove what other domains keep of them; it may run
   * again for the same profile (finishDeletions), so it must be idempotent.
   */
  constructor(repository: PlayerRepository, options: { onRegistered?: () => void; onDeleted?: (deleted: DeletedProfile) => Promise<void> } = {}) {
    this.#repository = repository;
    this.#onRegistered = options.onRegistered ?? (() => undefined);
    this.#gameStats = new SharedResult(() => repository.gameStats(maxGameStatsLimit), gameStatsFreshForMs);
    this.#onDeleted = options.onDeleted ?? (() => Promise.resolve());
  }

  async create(input: PlayerInput, incarnation: ObjectId): Promise<StoredPlayer> {
    try {
      const stored = await this.#repository.insert(input, incarnation, new Date());
      this.#onRegistered();
      return stored;
    } catch (error) {
      if (error instanceof DuplicateNickError) throw new AppError(409, { detail: `The nick "${input.nick}" is taken.` });
      throw error;
    }
  }

  async get(nick: string): Promise<StoredPlayer> {
    const stored = await this.find(nick);
    if (stored === undefined) throw missing(nick);
    return stored;
  }

  /** The player, or undefined when no one has the nick. */
  find(nick: string): Promise<StoredPlayer | undefined> {
    return this.#repository.findByNick(nick);
  }

  async replace(nick: string, body: Omit<PlayerInput, 'nick'> & { nick?: string | undefined }, precondition: Precondition | undefined, writer: Writer): Promise<StoredPlayer> {
    assertSameIdentity(nick, body.nick);
    return this.#writeLatest(nick, precondition, writer, (current, now) => this.#replaceIfChanged(current, { ...body, nick: current.player.nick }, now));
  }

  /** RFC 7396 merge patch, applied to the latest version; the result must be a valid player. */
  async patch(nick: string, patch: Record<string, unknown>, precondition: Precondition | undefined, writer: Writer): Promise<StoredPlayer> {
    assertSameIdentity(nick, typeof patch.nick === 'string' ? patch.nick : undefined);
    return this.#writeLatest(nick, precondition, writer, (current, now) => {
      const merged = playerInputSchema.safeParse(applyMergePatch(editableFields(current), patch));
      if (!merged.success) throw validationError(merged.error, 'body');
      return this.#replaceIfChanged(current, { ...merged.data, nick: current.player.nick }, now);
    });
  }

  /** A write that changes nothing (a PUT sent again, an empty patch) writes nothing: version, ETag and updatedAt stay. */
  async #replaceIfChanged(current: StoredPlayer, input: PlayerInput, now: Date): Promise<StoredPlayer | 'missing' | 'conflict'> {
    // Through JSON, as clients see both: an absent optional field and one stored as undefined are alike.
    const unchanged = isDeepStrictEqual(JSON.parse(JSON.stringify(editableFields(current))), JSON.parse(JSON.stringify(input)));
    return unchanged ? current : this.#repository.replace(current, input, now);
  }

  /** Returns the player as it was when deleted: which profile (incarnation) is gone. */
  async delete(nick: string, precondition: Precondition | undefined, writer: Writer): Promise<StoredPlayer> {
    const deleted = await this.#writeLatest(nick, precondition, writer, async (current, now) => {
      const outcome = await this.#repository.delete(current, now);
      return outcome === 'deleted' ? current : outcome;
    });
    await this.#forgetDeleted({ nick: deleted.version._id, incarnation: deleted.version.incarnation });
    return deleted;
  }

  /**
   * Finishes deletions whose process died, or whose answer was lost, after the player was deleted but
   * before what other domains keep of it was: run at every upkeep (db/database.ts).
   */
  async finishDeletions(): Promise<void> {
    for (const deleted of await this.#repository.unfinishedDeletions(new Date(Date.now() - unfinishedAfterMs))) await this.#forgetDeleted(deleted);
  }

  /** What other domains keep of the deleted profile goes, and then its deletion record. */
  async #forgetDeleted(deleted: DeletedProfile): Promise<void> {
    await this.#onDeleted(deleted);
    await this.#repository.deletionDone(deleted.incarnation);
  }

  async search(query: PlayerSearch): Promise<PlayerPage> {
    const page = await this.#repository.search({
      gameKey: query.game === undefined ? undefined : normaliseKey(query.game),
      platform: query.platform,
      region: query.region,
      language: query.language,
      competitive: query.competitive === undefined ? undefined : query.competitive === 'true',
      minAge: query.minAge,
      maxAge: query.maxAge,
      afterNickKey: query.cursor === undefined ? undefined : decodeCursor(query.cursor, searchPosition).after,
      limit: query.limit,
    });
    return { items: page.items, nextCursor: page.lastNickKey === undefined ? null : encodeCursor({ after: page.lastNickKey }) };
  }

  /** The most played titles, from a count that ended at most gameStatsFreshForMs ago. */
  async gameStats(limit: number): Promise<GameStats> {
    return (await this.#gameStats.get()).slice(0, limit);
  }

  /**
   * Read, check the precondition, write if still at that version. A lost race is retried on the newer
   * version, unless the client named the version it edits (If-Match), which then no longer holds: 412.
   */
  async #writeLatest<T>(nick: string, precondition: Precondition | undefined, writer: Writer, write: (current: StoredPlayer, now: Date) => Promise<T | 'missing' | 'conflict'>): Promise<T> {
    for (let attempt = 1; attempt <= writeAttempts; attempt++) {
      const current = await this.#repository.findByNick(nick);
      // The writer's profile was deleted since its token was checked (the write itself is conditional on
      // the profile read here, so it cannot land on another one either).
      if (writer !== undefined && !isProfile(current, writer)) throw invalidToken(tokenRevoked);
      if (current === undefined) throw missing(nick);
      if (precondition !== undefined && !satisfies(precondition, current.revision)) throw preconditionFailed(nick);
      const outcome = await write(current, new Date());
      if (outcome !== 'missing' && outcome !== 'conflict') return outcome;
      // Deleted under the write: for a player, with the profile their token was issued for.
      if (outcome === 'missing' && writer !== undefined) throw invalidToken(tokenRevoked);
      if (outcome === 'missing') throw missing(nick);
      // A client that named the version it edits wants that one; If-None-Match alone is checked again on the next.
      if (precondition?.match !== undefined) throw preconditionFailed(nick);
      // Spread the retries of writers that collided, so they do not collide again in lockstep.
      await sleep(Math.random() * 10 * attempt);
    }
    throw new AppError(409, { detail: `"${nick}" is being edited concurrently; retry the request.` });
  }
}

/** The player as a client may write it: everything but the server's timestamps. */
function editableFields({ player }: StoredPlayer): Omit<Player, 'createdAt' | 'updatedAt'> {
  const { createdAt: _createdAt, updatedAt: _updatedAt, ...editable } = player;
  return editable;
}

export function satisfies({ match, noneMatch }: Precondition, revision: string): boolean {
  const names = (revisions: Revisions) => revisions === '*' || revisions.includes(revision);
  return (match === undefined || names(match)) && (noneMatch === undefined || !names(noneMatch));
}

/** Whatever the preconditions say: a request that would be a 404 without them ignores them (RFC 9110 §13.2.1). */
function missing(nick: string): AppError {
  return notFound(`No player has the nick "${nick}".`);
}

export function preconditionFailed(nick: string): AppError {
  return new AppError(412, { detail: `"${nick}" is not at a version the request's If-Match or If-None-Match allows (it has changed); GET it for its current ETag.` });
}

function assertSameIdentity(pathNick: string, bodyNick: string | undefined): void {
  if (bodyNick !== undefined && normaliseKey(bodyNick) !== normaliseKey(pathNick)) {
    throw new AppError(400, {
      detail: 'The nick is the player\'s identity and cannot be changed.',
      errors: [{ pointer: '/nick', detail: `must be "${pathNick}" (the nick in the path)` }],
    });
  }
}
