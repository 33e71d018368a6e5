// The match score's caps and edges, on the scorer itself (matches-api.test.ts covers the ranking end to end).
import test from 'ava';
import { matchScorer, weights } from '../src/matches/scoring.ts';
import { playerSchema, type Player } from '../src/players/schema.ts';
import { validProfile } from './helpers/players.ts';

const stamp = new Date(0).toISOString();
const player = (nick: string, overrides: Record<string, unknown>): Player =>
  playerSchema.parse({ ...validProfile(nick, { region: 'eu', age: 30, languages: ['en'], ...overrides }), createdAt: stamp, updatedAt: stamp });
const chess = (hoursPerWeek: number) => [{ title: 'Chess', platform: 'pc', hoursPerWeek, competitive: true }];

function reasonsOf(subject: Player, candidate: Player) {
  const scored = matchScorer(subject)(candidate);
  if (scored === undefined) throw new Error('no match');
  return scored.reasons;
}

test('shared hours count up to 20 a title, on top of the title itself', (t) => {
  const points = (hours: number) => reasonsOf(player('seeker', { games: chess(hours) }), player('candidate', { games: chess(hours) })).find((reason) => reason.reason === 'sharedGame')?.points;
  t.is(points(19), weights.sharedGame + 19);
  t.is(points(20), weights.sharedGame + 20);
  t.is(points(30), weights.sharedGame + 20);
});

test('shared languages count up to three', (t) => {
  const languages = ['de', 'en', 'es', 'fr', 'it'];
  const points = (count: number) => {
    const shared = languages.slice(0, count);
    return reasonsOf(player('seeker', { games: chess(1), languages: shared }), player('candidate', { games: chess(1), languages: shared })).find((reason) => reason.reason === 'sharedLanguages')?.points;
  };
  t.is(points(2), 2 * weights.sharedLanguage);
  t.is(points(3), 3 * weights.sharedLanguage);
  t.is(points(5), 3 * weights.sharedLanguage);
});

test('age counts one point less per year apart, and not at all from ten years', (t) => {
  const similarAge = (age: number) => reasonsOf(player('seeker', { games: chess(1), age: 30 }), player('candidate', { games: chess(1), age })).find((reason) => reason.reason === 'similarAge');
  t.like(similarAge(30), { ageGap: 0, points: 10 });
  t.like(similarAge(21), { ageGap: 9, points: 1 });
  t.is(similarAge(40), undefined);
  t.is(similarAge(20), undefined);
});
