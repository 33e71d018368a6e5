// The one definition of what a player is. These schemas validate requests and, through openapi.ts,
// produce the OpenAPI document, so the two cannot drift apart.
import { z } from 'zod';
import { cursorParameter, pageSchema } from '../cursor.ts';
import { booleanText, wholeNumber } from '../validation.ts';
import { normaliseKey } from './keys.ts';

export const platforms = ['pc', 'playstation', 'xbox', 'switch', 'mobile'] as const;
export const regions = ['eu', 'na', 'sa', 'asia', 'oceania', 'africa', 'me'] as const;

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

/** Codes ISO 639-1 withdrew, with their replacements (ISO 639-2 Registration Authority, changes 1989-2008). */
const withdrawnLanguageCodes: Readonly<Record<string, string>> = { iw: 'he', in: 'id', ji: 'yi', jw: 'jv', mo: 'ro', sh: 'sr' };

export const nickSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{3,24}$/, '3-24 characters: letters, digits, _ or -')
  .meta({ description: 'Public handle; unique regardless of letter case', examples: ['Ada_Lovelace'] });

export const platformSchema = z.enum(platforms);
export const regionSchema = z.enum(regions).meta({ description: 'eu, na (North America), sa (South America), asia, oceania, africa, me (Middle East)' });

export const languageSchema = z
  .string()
  // abort: zod 4 runs later checks after a failed one, and Intl.DisplayNames throws on non-codes.
  .regex(/^[a-z]{2}$/, { message: 'an ISO 639-1 code such as en or es', abort: true })
  // The pattern admits "xx"; Intl knows which two-letter codes are real languages.
  .refine((code) => languageNames.of(code) !== undefined, 'not an ISO 639-1 language code')
  // Intl still names these, so one language could be listed twice and missed by a search for its code.
  .refine((code) => !Object.hasOwn(withdrawnLanguageCodes, code), { error: (issue) => `withdrawn from ISO 639-1; use "${withdrawnLanguageCodes[String(issue.input)] ?? ''}"` });

/**
 * The bidirectional embeddings, overrides and isolates, which make text display in another order than it
 * reads ("Trojan Source"). Joiners and direction marks stay: scripts and emoji need them.
 */
const bidiControls = '\\u202A-\\u202E\\u2066-\\u2069';

/**
 * One line: no control character (C0, DEL, C1) is part of a name, and a NUL or an escape sequence would
 * reach every client and terminal showing it; nor are Unicode's line and paragraph separators.
 */
export const text = (max: number) =>
  z.string().trim().min(1).max(max).regex(new RegExp(`^[^\\p{Cc}\\u2028\\u2029${bidiControls}]*$`, 'u'), 'no control characters (line breaks, tabs, NUL, bidirectional overrides...)');

/** Free text over several lines: line breaks (Unicode's separators too) and tabs, but no other control character. */
export const paragraphs = (max: number) =>
  z.string().trim().max(max).regex(new RegExp(`^(?:[^\\p{Cc}${bidiControls}]|[\\t\\n\\r])*$`, 'u'), 'no control characters besides line breaks and tabs (no bidirectional overrides)');

const gameSchema = z.strictObject({
  title: text(100).meta({ examples: ['Rocket League'] }),
  platform: platformSchema,
  hoursPerWeek: z.number().min(0).max(168),
  competitive: z.boolean(),
  rank: text(50).optional().meta({ examples: ['Diamond II'] }),
});

const uniqueItems = (items: readonly unknown[]) => new Set(items).size === items.length;

// Each array has one definition, used by every schema that takes it, so no body can carry more items
// than a stored player has: a longer array is one error, not one per item.
const platformsSchema = z.array(platformSchema).min(1).max(platforms.length).refine(uniqueItems, 'platforms must not repeat').meta({ uniqueItems: true });
const gamesSchema = z
  .array(gameSchema)
  .min(1)
  .max(50)
  // One entry per title, platform and mode (casual or competitive): a repeat would count its hours twice in match scores.
  .superRefine((games, ctx) => {
    const first = new Map<string, number>();
    for (const [index, game] of games.entries()) {
      const key = `${normaliseKey(game.title)}\u0000${game.platform}\u0000${String(game.competitive)}`;
      const earlier = first.get(key);
      if (earlier === undefined) first.set(key, index);
      else ctx.addIssue({ code: 'custom', path: [index], message: `the same title, platform and mode (competitive or not) as /games/${String(earlier)}; list each once` });
    }
  })
  .meta({ description: 'Each title once per platform and mode (competitive or casual); titles compare as in search' });
export const languagesSchema = z.array(languageSchema).min(1).max(10).refine(uniqueItems, 'languages must not repeat').meta({ uniqueItems: true });

/** What a client sends to create or fully replace a player. */
export const playerInputSchema = z
  .strictObject({
    nick: nickSchema,
    firstName: text(100),
    lastName: text(100),
    age: z.int().min(13).max(120),
    platforms: platformsSchema,
    games: gamesSchema,
    region: regionSchema,
    languages: languagesSchema,
    bio: paragraphs(500).optional(),
    contact: text(100).optional().meta({ description: 'How to reach the player, e.g. a Discord handle', examples: ['ada#1815'] }),
  })
  .meta({ id: 'PlayerInput' });

export type PlayerInput = z.infer<typeof playerInputSchema>;
export type Game = z.infer<typeof gameSchema>;

/** PUT body: the full player; `nick`, when present, must be the one in the path. */
export const playerReplaceSchema = playerInputSchema.partial({ nick: true }).meta({ id: 'PlayerReplace' });

/**
 * PATCH body (RFC 7396 JSON merge patch): any subset of the fields; null removes an optional field.
 * The merged result is validated again against the full schema.
 */
export const playerPatchSchema = playerInputSchema
  .partial()
  .extend({
    bio: playerInputSchema.shape.bio.unwrap().nullable().optional(),
    contact: playerInputSchema.shape.contact.unwrap().nullable().optional(),
  })
  .meta({ id: 'PlayerPatch' });

export const playerSchema = playerInputSchema
  .extend({
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Player' });

export type Player = z.infer<typeof playerSchema>;

/**
 * GET /v1/players query string. Every value is a scalar, so no MongoDB operator can ride in on it. The age
 * range is checked here, beside the other parameters' errors, so a client gets all of them at once.
 */
export const playerSearchSchema = z
  .strictObject({
    game: text(100).optional().meta({ description: 'Plays this title (case-insensitive)' }),
    platform: platformSchema.optional(),
    region: regionSchema.optional(),
    language: languageSchema.optional(),
    competitive: booleanText.optional().meta({ description: 'Plays competitively (true) or casually (false); with game, that game' }),
    minAge: wholeNumber(13, 120).optional(),
    maxAge: wholeNumber(13, 120).optional(),
    limit: wholeNumber(1, 100).default(20),
    cursor: cursorParameter,
  })
  .superRefine(
    ({ minAge, maxAge }, ctx) => {
      // Either may be the raw text of a value that failed its own check.
      if (typeof minAge === 'number' && typeof maxAge === 'number' && minAge > maxAge) ctx.addIssue({ code: 'custom', path: ['minAge'], message: 'must not be greater than maxAge' });
    },
    // Also when other parameters failed (by default zod skips refinements then).
    { when: ({ value }) => typeof value === 'object' && value !== null },
  );

export type PlayerSearch = z.infer<typeof playerSearchSchema>;

export const playerPageSchema = pageSchema(playerSchema, 'PlayerPage');

export const maxGameStatsLimit = 100;

export const gameStatsQuerySchema = z.strictObject({
  limit: wholeNumber(1, maxGameStatsLimit).default(50),
});

export const gameStatsSchema = z
  .object({
    items: z.array(z.object({ title: z.string(), players: z.int().min(0) })),
  })
  .meta({ id: 'GameStats' });
