// Small schema pieces shared by the configuration and the API's query strings.
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

/** A setting that is either absent or holds some non-blank text (trimmed). */
export const optionalText = z.string().trim().min(1).optional();
