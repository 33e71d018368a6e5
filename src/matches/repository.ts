// Candidates for match suggestions, read from the players collection (which the players repository
// owns and writes). The query is bounded and backed by the game_nick index {gameKeys, _id}.
import type { Collection, Db } from 'mongodb';
import { playerCollection, projection, toStored, type PlayerDocument } from '../players/repository.ts';
import type { Player } from '../players/schema.ts';

export class MatchRepository {
  readonly #players: Collection<PlayerDocument>;

  constructor(db: Db) {
    this.#players = playerCollection(db);
  }

  /**
   * At most `limit` other players who play any of `gameKeys`, the first in normalised-nick order, so the
   * same data always gives the same candidates. On MongoDB each key is one range of game_nick, already
   * in _id order, so the scan stops after `limit` entries of the merged ranges.
   */
  async sharingGames(gameKeys: readonly string[], excludeNickKey: string, limit: number): Promise<Player[]> {
    if (gameKeys.length === 0) return [];
    const documents = await this.#players
      .find({ gameKeys: { $in: [...gameKeys] }, _id: { $ne: excludeNickKey } }, { projection })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return documents.map((document) => toStored(document).player);
  }
}
