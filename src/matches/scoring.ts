// How well another player suits a player: a sum of points, each with its reason, so a client can show
// why. Pure functions; the weights are the whole policy (README "Match suggestions").
import { normaliseKey } from '../players/keys.ts';
import type { Game, Player } from '../players/schema.ts';
import type { MatchReason } from './schema.ts';

export const weights = {
  /** Per shared title, plus the fewer weekly hours of the two players on it, up to maxSharedHours. */
  sharedGame: 10,
  maxSharedHours: 20,
  /** Per shared title, when both play it on a common platform / with a common intent / at an equal rank. */
  samePlatform: 10,
  sameIntent: 5,
  sameRank: 5,
  /** Per shared language, counting at most maxSharedLanguages of them. */
  sharedLanguage: 5,
  maxSharedLanguages: 3,
  sameRegion: 15,
  /** Minus one per year of age difference, never below zero. */
  similarAge: 10,
} as const;

export interface Scored {
  readonly score: number;
  readonly reasons: MatchReason[];
}

/** One player's entries for one title (a title may be listed once per platform), merged. */
interface TitlePlay {
  readonly title: string;
  hours: number;
  readonly platforms: Set<string>;
  readonly intents: Set<boolean>;
  /** Normalised rank → the spelling shown. */
  readonly ranks: Map<string, string>;
}

/**
 * Scores candidates for `subject`; undefined for a candidate that shares no title with it (or not
 * `onlyGameKey`, when given), which is never a match.
 */
export function matchScorer(subject: Player, onlyGameKey?: string): (candidate: Player) => Scored | undefined {
  const subjectPlays = playsByTitle(subject.games, onlyGameKey);
  const subjectLanguages = new Set(subject.languages);
  return (candidate) => {
    const candidatePlays = playsByTitle(candidate.games, onlyGameKey);
    const reasons: MatchReason[] = [];
    for (const [key, mine] of subjectPlays) {
      const theirs = candidatePlays.get(key);
      if (theirs !== undefined) reasons.push(...gameReasons(mine, theirs));
    }
    if (reasons.length === 0) return undefined;
    reasons.push(...profileReasons(subject, subjectLanguages, candidate));
    return { score: round(reasons.reduce((sum, reason) => sum + reason.points, 0)), reasons };
  };
}

function gameReasons(mine: TitlePlay, theirs: TitlePlay): MatchReason[] {
  const game = mine.title;
  const hoursPerWeek = round(Math.min(mine.hours, theirs.hours));
  const reasons: MatchReason[] = [{ reason: 'sharedGame', game, hoursPerWeek, points: round(weights.sharedGame + Math.min(hoursPerWeek, weights.maxSharedHours)) }];
  const platforms = [...mine.platforms].filter((platform) => theirs.platforms.has(platform)).sort();
  if (platforms.length > 0) reasons.push({ reason: 'samePlatform', game, platforms, points: weights.samePlatform });
  const intents = [...mine.intents].filter((intent) => theirs.intents.has(intent));
  if (intents.length > 0) reasons.push({ reason: 'sameIntent', game, competitive: intents.includes(true), points: weights.sameIntent });
  const rank = [...mine.ranks].find(([key]) => theirs.ranks.has(key));
  if (rank !== undefined) reasons.push({ reason: 'sameRank', game, rank: rank[1], points: weights.sameRank });
  return reasons;
}

function profileReasons(subject: Player, subjectLanguages: ReadonlySet<string>, candidate: Player): MatchReason[] {
  const reasons: MatchReason[] = [];
  const languages = candidate.languages.filter((language) => subjectLanguages.has(language)).sort();
  if (languages.length > 0) {
    reasons.push({ reason: 'sharedLanguages', languages, points: weights.sharedLanguage * Math.min(languages.length, weights.maxSharedLanguages) });
  }
  if (subject.region === candidate.region) reasons.push({ reason: 'sameRegion', region: subject.region, points: weights.sameRegion });
  const ageGap = Math.abs(subject.age - candidate.age);
  if (ageGap < weights.similarAge) reasons.push({ reason: 'similarAge', ageGap, points: weights.similarAge - ageGap });
  return reasons;
}

function playsByTitle(games: readonly Game[], onlyGameKey: string | undefined): Map<string, TitlePlay> {
  const plays = new Map<string, TitlePlay>();
  for (const game of games) {
    const key = normaliseKey(game.title);
    if (onlyGameKey !== undefined && key !== onlyGameKey) continue;
    let play = plays.get(key);
    if (play === undefined) {
      play = { title: game.title.trim(), hours: 0, platforms: new Set(), intents: new Set(), ranks: new Map() };
      plays.set(key, play);
    }
    play.hours += game.hoursPerWeek;
    play.platforms.add(game.platform);
    play.intents.add(game.competitive);
    if (game.rank !== undefined) play.ranks.set(normaliseKey(game.rank), game.rank);
  }
  return plays;
}

/** Hours may have decimals; two places keep scores exact enough to compare and page on. */
const round = (value: number): number => Math.round(value * 100) / 100;
