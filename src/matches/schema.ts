// What a match suggestion is: the query that asks for them and the ranked page that answers. These
// schemas validate the query and, through openapi.ts, document the response.
import { z } from 'zod';
import { cursorParameter, pageSchema } from '../cursor.ts';
import { playerSchema, text } from '../players/schema.ts';
import { wholeNumber } from '../validation.ts';

/** GET /v1/players/{nick}/matches query string; scalars only, so no MongoDB operator can ride in on it. */
export const matchQuerySchema = z.strictObject({
  game: text(100).optional().meta({ description: 'Only this shared title (case-insensitive) counts and only its players are suggested' }),
  limit: wholeNumber(1, 100).default(20),
  cursor: cursorParameter,
});

export type MatchQuery = z.infer<typeof matchQuerySchema>;

const points = z.number().min(0).meta({ description: 'What this reason adds to the score' });
const game = z.string().meta({ description: 'The title as the player asking for matches spells it' });

/** Why a player is suggested; the score is the sum of its reasons' points. */
const matchReasonSchema = z
  .discriminatedUnion('reason', [
    z.object({ reason: z.literal('sharedGame'), game, hoursPerWeek: z.number().meta({ description: 'The fewer weekly hours of the two players on it' }), points }),
    z.object({ reason: z.literal('samePlatform'), game, platforms: z.array(z.string()), points }),
    z.object({ reason: z.literal('sameIntent'), game, competitive: z.boolean(), points }),
    z.object({ reason: z.literal('sameRank'), game, rank: z.string(), points }),
    z.object({ reason: z.literal('sharedLanguages'), languages: z.array(z.string()), points }),
    z.object({ reason: z.literal('sameRegion'), region: z.string(), points }),
    z.object({ reason: z.literal('similarAge'), ageGap: z.int().min(0), points }),
  ])
  .meta({ id: 'MatchReason' });

export type MatchReason = z.infer<typeof matchReasonSchema>;

const matchSchema = z
  .object({
    player: playerSchema,
    score: z.number().min(0).meta({ description: 'Sum of the reasons\' points; higher is a better match' }),
    reasons: z.array(matchReasonSchema),
  })
  .meta({ id: 'Match' });

export type Match = z.infer<typeof matchSchema>;

export const matchPageSchema = pageSchema(matchSchema, 'MatchPage');
