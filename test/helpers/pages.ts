// Following a list's nextCursor to its end, bounded: a cursor that does not advance fails at once, named,
// rather than at the test runner's timeout.

export interface Page {
  readonly nextCursor: string | null;
}

/** Every page of a list from the first, each fetched with the previous page's cursor (null for the first). */
export async function allPages<P extends Page>(fetchPage: (cursor: string | null) => Promise<P>, maxPages = 100): Promise<P[]> {
  const pages: P[] = [];
  let cursor: string | null = null;
  do {
    if (pages.length === maxPages) throw new Error(`still a nextCursor after ${String(maxPages)} pages`);
    const page: P = await fetchPage(cursor);
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return pages;
}

/** `&cursor=…` for a page after the first, nothing for the first. */
export const cursorParameter = (cursor: string | null): string => (cursor === null ? '' : `&cursor=${cursor}`);
