// Opaque page cursors: a position in a result order, carried as base64url JSON. A client passes back
// what it got; anything else is a 400 on the cursor parameter, never a query built from it.
import { z } from 'zod';
import { AppError } from './errors.ts';

/** The `cursor` query parameter of every paged list. */
export const cursorParameter = z.string().min(1).max(200).optional().meta({ description: 'nextCursor from the previous page' });

/** One page of a list: its items and the cursor of the next page. */
export function pageSchema<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().meta({ description: 'Pass as cursor to get the next page; null on the last page' }),
    })
    .meta({ id });
}

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position in `cursor`, if it has the shape `schema` describes. */
export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // Undecodable: the same 400 as a well-formed but foreign cursor.
  }
  const position = schema.safeParse(decoded);
  if (position.success) return position.data;
  throw new AppError(400, { detail: 'The request query is invalid.', errors: [{ pointer: 'cursor', detail: 'not a cursor returned by this API' }] });
}
