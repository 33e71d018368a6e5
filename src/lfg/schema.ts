// What a looking-for-group post is: what a client sends to publish one, the search query, and the post
// as the API shows it. These schemas validate requests and, through openapi.ts, document the API.
import { z } from 'zod';
import { cursorParameter, pageSchema } from '../cursor.ts';
import { languageSchema, languagesSchema, nickSchema, paragraphs, platformSchema, regionSchema, text } from '../players/schema.ts';
import { booleanText, wholeNumber } from '../validation.ts';

const instant = z.iso.datetime({ offset: true });

const lfgInputObject = z.strictObject({
  game: text(100).meta({ examples: ['Rocket League'] }),
  platform: platformSchema,
  region: regionSchema,
  languages: languagesSchema,
  competitive: z.boolean(),
  rank: text(50).optional(),
  slots: z.int().min(1).max(9).meta({ description: 'How many players the owner is looking for' }),
  startsAt: instant.meta({ description: 'At most 7 days ahead, and not more than 5 minutes in the past' }),
  expiresAt: instant.optional().meta({ description: 'After startsAt and at most 24 h after it; default: 2 h after startsAt' }),
  note: paragraphs(500).optional(),
});

export type LfgInput = z.infer<typeof lfgInputObject>;

/** When a post runs, as sent; expiresAt is undefined when left to its default. */
export interface PostTimes {
  readonly startsAt: Date;
  readonly expiresAt: Date | undefined;
}

/** A time of a post that breaks the publishing limits. */
export interface TimeError {
  readonly field: 'startsAt' | 'expiresAt';
  readonly detail: string;
}

/**
 * The body of POST /v1/lfg. Its times are checked against limits that depend on the clock
 * (`timeErrors`, from the service), beside the other fields' errors, so a client gets all at once.
 */
export function lfgInputSchema(timeErrors: (times: PostTimes) => TimeError[]) {
  return lfgInputObject
    .superRefine(
      (input, ctx) => {
        // A time that failed its own format check has been reported already, and cannot be compared.
        const failed = (field: string) => ctx.issues.some((issue) => issue.path?.[0] === field);
        if (failed('startsAt')) return;
        const times = { startsAt: new Date(input.startsAt), expiresAt: input.expiresAt === undefined || failed('expiresAt') ? undefined : new Date(input.expiresAt) };
        for (const { field, detail } of timeErrors(times)) ctx.addIssue({ code: 'custom', path: [field], message: detail });
      },
      // Also when other fields failed (by default zod skips refinements then).
      { when: ({ value }) => typeof value === 'object' && value !== null },
    )
    .meta({ id: 'LfgPostInput' });
}

const lfgIdSchema = z.string().regex(/^[0-9a-f]{24}$/, 'a post id: 24 hexadecimal digits');
export const lfgParamsSchema = z.strictObject({ id: lfgIdSchema });
export const lfgMemberParamsSchema = z.strictObject({ id: lfgIdSchema, nick: nickSchema });

/** GET /v1/lfg query string; scalars only, so no MongoDB operator can ride in on it. */
export const lfgSearchSchema = z.strictObject({
  game: text(100).optional().meta({ description: 'This title (case-insensitive)' }),
  platform: platformSchema.optional(),
  region: regionSchema.optional(),
  language: languageSchema.optional(),
  competitive: booleanText.optional(),
  limit: wholeNumber(1, 100).default(20),
  cursor: cursorParameter,
});

export type LfgSearch = z.infer<typeof lfgSearchSchema>;

const person = {
  nick: z.string(),
  contact: z.string().optional().meta({ description: 'Shown only to the post\'s owner and members' }),
};

export const lfgPostSchema = z
  .object({
    id: lfgIdSchema,
    owner: z.object(person),
    game: z.string(),
    platform: platformSchema,
    region: regionSchema,
    languages: z.array(z.string()),
    competitive: z.boolean(),
    rank: z.string().optional(),
    slots: z.int(),
    freeSlots: z.int().min(0),
    members: z.array(z.object({ ...person, joinedAt: z.iso.datetime() })),
    startsAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    note: z.string().optional(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'LfgPost' });

export type LfgPost = z.infer<typeof lfgPostSchema>;

export const lfgPageSchema = pageSchema(lfgPostSchema, 'LfgPage');
