// Match suggestions: fetch a bounded set of candidates that share a game with the player, score them
// (scoring.ts), sort best first and page through that order. Knows nothing of Koa or the driver.
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { normaliseKey } from '../players/keys.ts';
import { nickSchema } from '../players/schema.ts';
import type { PlayerService } from '../players/service.ts';
import type { MatchRepository } from './repository.ts';
import type { Match, MatchQuery } from './schema.ts';
import { matchScorer } from './scoring.ts';

export interface MatchPage {
  readonly items: Match[];
  readonly nextCursor: string | null;
}

/** Where a page ended: the last item's score and normalised nick, its place in the (score, nick) order. */
const matchPosition = z.strictObject({ score: z.number().min(0), after: nickSchema });
type MatchPosition = z.infer<typeof matchPosition>;

interface Ranked extends Match {
  readonly nickKey: string;
}

export class MatchService {
  readonly #players: PlayerService;
  readonly #matches: MatchRepository;
  readonly #candidateLimit: number;

  /** `candidateLimit`: about how many players sharing a title are scored (README "Match suggestions"). */
  constructor(players: PlayerService, matches: MatchRepository, options: { candidateLimit: number }) {
    this.#players = players;
    this.#matches = matches;
    this.#candidateLimit = options.candidateLimit;
  }

  async suggest(nick: string, query: MatchQuery): Promise<MatchPage> {
    const subject = (await this.#players.get(nick)).player;
    const onlyGameKey = query.game === undefined ? undefined : normaliseKey(query.game);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, matchPosition);
    const subjectKeys = new Set(subject.games.map((game) => normaliseKey(game.title)));
    const gameKeys = onlyGameKey === undefined ? [...subjectKeys] : [onlyGameKey].filter((key) => subjectKeys.has(key));
    const candidates = await this.#matches.sharingGames(gameKeys, normaliseKey(subject.nick), this.#candidateLimit);

    const score = matchScorer(subject, onlyGameKey);
    const ranked = candidates
      .flatMap((player): Ranked[] => {
        const scored = score(player);
        return scored === undefined ? [] : [{ player, ...scored, nickKey: normaliseKey(player.nick) }];
      })
      .sort(bestFirst)
      .filter((match) => after === undefined || comesAfter(match, after));
    const page = ranked.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(({ nickKey: _nickKey, ...match }) => match),
      nextCursor: ranked.length > query.limit && last !== undefined ? encodeCursor({ score: last.score, after: last.nickKey }) : null,
    };
  }
}

/** Higher score first; equal scores in nick order, so the order is total and the same on every request. */
function bestFirst(a: Ranked, b: Ranked): number {
  return b.score - a.score || (a.nickKey < b.nickKey ? -1 : a.nickKey > b.nickKey ? 1 : 0);
}

function comesAfter(match: Ranked, position: MatchPosition): boolean {
  return match.score < position.score || (match.score === position.score && match.nickKey > position.after);
}
