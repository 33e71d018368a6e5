// The display spelling of each game title players play, in its own collection because picking it with
// $first in an aggregation is not supported by FerretDB 1.24.
import { ObjectId, type Collection, type Db } from 'mongodb';
import { normaliseKey } from './keys.ts';
import type { Game } from './schema.ts';

interface GameTitleDocument {
  _id: string;
  title: string;
  /** New on every write that plays the title, so dropping it can tell whether a player took it up meanwhile. */
  lastUse: ObjectId;
}

const titlesPerCommand = 10;

export const gameKeysOf = (games: readonly Game[]): string[] => [...new Set(games.map((game) => normaliseKey(game.title)))];

export class GameTitles {
  readonly #titles: Collection<GameTitleDocument>;
  readonly #limit: { readonly maxTimeMS: number };
  /** Whether any stored player plays the title with this key. */
  readonly #isPlayed: (key: string) => Promise<boolean>;

  constructor(db: Db, operationTimeoutMs: number, isPlayed: (key: string) => Promise<boolean>) {
    this.#titles = db.collection<GameTitleDocument>('gameTitles');
    this.#limit = { maxTimeMS: operationTimeoutMs };
    this.#isPlayed = isPlayed;
  }

  /** The display spelling of each key that has one. */
  async titlesOf(keys: readonly string[]): Promise<Map<string, string>> {
    const titles = await this.#titles.find({ _id: { $in: [...keys] } }, this.#limit).toArray();
    return new Map(titles.map((title) => [title._id, title.title]));
  }

  /**
   * The first spelling of a title that a stored player used is the one shown in game statistics. Runs
   * after the player write has landed, so a rejected write records nothing. Best effort: the write has
   * happened, and a title missing here only shows in its normalised spelling until the next write.
   */
  async remember(keys: readonly string[], games: readonly Game[]): Promise<void> {
    const titleOf = new Map(games.map((game) => [normaliseKey(game.title), game.title.trim()] as const));
    await this.#record(keys.map((key) => [key, titleOf.get(key) ?? key]));
  }

  /**
   * Drops the titles among `keys` that no player plays any more. A title is dropped only if no write
   * recorded it since it was read here (same lastUse): a player who took it up meanwhile keeps it.
   * Best effort, like remember.
   */
  async forgetUnlessPlayed(keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        const title = await this.#titles.findOne({ _id: key }, this.#limit);
        if (title === null || (await this.#isPlayed(key))) return;
        const { deletedCount } = await this.#titles.deleteOne({ _id: key, lastUse: title.lastUse }, this.#limit);
        // FerretDB matches a delete's filter on a snapshot and then deletes by _id, so a title a player took
        // up meanwhile can go despite its new lastUse. Their write lands before its remember(), so it is
        // found by now, and the title comes back with the spelling read above.
        if (deletedCount > 0 && (await this.#isPlayed(key))) await this.#record([[key, title.title]]);
      }),
    ).catch(() => undefined);
  }

  /** Upserts these [key, spelling] pairs: a title stored already keeps its spelling, with a new lastUse. */
  async #record(titles: readonly (readonly [key: string, title: string])[]): Promise<void> {
    const lastUse = new ObjectId();
    // A few titles per command: FerretDB 1.24 deadlocks on one update command of many upserts that find
    // their documents (seen with 50 on its PostgreSQL backend, 101 on SQLite), and then answers nothing.
    for (let start = 0; start < titles.length; start += titlesPerCommand) {
      await this.#titles
        .bulkWrite(
          titles.slice(start, start + titlesPerCommand).map(([key, title]) => ({
            updateOne: { filter: { _id: key }, update: { $setOnInsert: { title }, $set: { lastUse } }, upsert: true },
          })),
          { ordered: false },
        )
        // Two concurrent upserts of a new title: one inserts, the other may get E11000. Either way it exists.
        .catch(() => undefined);
    }
  }
}
