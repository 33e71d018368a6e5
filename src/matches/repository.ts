// Candidates for match suggestions, read from the players collection (which the players repository
// owns and writes). One bounded query per title, each an equality on the game_nick index {gameKeys, _id}.
import type { Collection, Db } from 'mongodb';
import pLimit, { type LimitFunction } from 'p-limit';
import { playerCollection, projection, type PlayerDocument, type RepositoryOptions, toStored } from '../players/repository.ts';
import type { Player } from '../players/schema.ts';

/**
 * Title queries one request runs at once. With all of them at once, a player with 50 titles put 50
 * queries per request in the connection pool's queue, ahead of every other route's.
 */
const titleQueriesPerRequest = 4;

export class MatchRepository {
  readonly #players: Collection<PlayerDocument>;
  readonly #limit: { readonly maxTimeMS: number };
  /** All match requests' title queries together hold at most half the connection pool: the other routes keep the rest. */
  readonly #titleQueries: LimitFunction;

  constructor(db: Db, options: RepositoryOptions) {
    this.#players = playerCollection(db);
    this.#limit = { maxTimeMS: options.operationTimeoutMs };
    const { maxPoolSize } = db.client.options;
    this.#titleQueries = pLimit(maxPoolSize === 0 ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(maxPoolSize / 2)));
  }

  /**
   * Other players who play any of `gameKeys`: for each title, the first ⌈limit / titles⌉ of its players in
   * normalised-nick order, so the same data always gives the same candidates, about `limit` of them at
   * most, and every title has its share. Each query is one range of game_nick, already in _id order, that
   * the server stops reading after its limit. (One $in over the titles would be one query, but FerretDB
   * evaluates $in on an array field itself after reading every document, where it hands an equality to
   * PostgreSQL.)
   */
  async sharingGames(gameKeys: readonly string[], excludeNickKey: string, limit: number): Promise<Player[]> {
    const perTitle = Math.ceil(limit / Math.max(1, gameKeys.length));
    const ofThisRequest = pLimit(titleQueriesPerRequest);
    const found = await Promise.all(
      gameKeys.map((gameKey) => ofThisRequest(() => this.#titleQueries(() => this.#players.find({ gameKeys: gameKey, _id: { $ne: excludeNickKey } }, { projection, ...this.#limit }).sort({ _id: 1 }).limit(perTitle).toArray()))),
    );
    const unique = new Map(found.flat().map((document) => [document._id, document]));
    return [...unique.values()].map((document) => toStored(document).player);
  }
}
