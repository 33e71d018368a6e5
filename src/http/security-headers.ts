// Headers every response carries, from Koa and from the health endpoints that terminus serves before it.

/** Browsers must take the declared Content-Type as it is, never guess another (e.g. render JSON as HTML). */
export const securityHeaders: Readonly<Record<string, string>> = { 'X-Content-Type-Options': 'nosniff' };
