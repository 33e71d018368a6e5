// Small schema pieces shared by the configuration and the API's requests.
import { z } from 'zod';

/**
 * A whole number written in decimal digits only. Plain coercion would also accept "0x10", "1e3" or " 7 ",
 * which no user means.
 */
export const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.int().min(min).max(max));

/**
 * A DNS name as RFC 1123 allows it, fully qualified (a trailing dot) or not; a last label of digits only
 * would be an IP address mistyped (999.1.1.1).
 */
const hostName = /^(?=.{1,254}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*(?=[A-Za-z0-9-]*[A-Za-z-])[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/;
export const isHostName = (text: string): boolean => hostName.test(text);

/** A query flag: the text true or false, as a query string can only carry text. */
export const booleanText = z.enum(['true', 'false']);

/** A setting that is either absent or holds some non-blank text (trimmed). */
export const optionalText = z.string().trim().min(1).optional();

/** What a bearer token may consist of: RFC 6750 §2.1's b64token (the operator token is checked at startup). */
export const bearerTokenPattern = /^[A-Za-z0-9\-._~+/]+=*$/;
