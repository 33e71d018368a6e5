// What clients send and get back for accounts: sign-up (a profile plus its password), token requests and
// password changes. Validates requests and, through openapi.ts, documents them.
import { z } from 'zod';
import { nickSchema, playerInputSchema } from '../players/schema.ts';

export const passwordSchema = z
  .string()
  .min(10)
  .max(128)
  // Counted as it is compared (passwords.ts), in NFKC, and by code point as NIST SP 800-63B counts: "e" and a
  // combining accent are one, an emoji is one.
  .refine((password) => Array.from(password.normalize('NFKC')).length >= 10, 'at least 10 characters once normalised (NFKC): an accented letter sent as two code points counts once')
  .meta({ description: '10-128 characters; stored only as a salted scrypt hash', format: 'password' });

/** POST /v1/players: the profile and the password that makes its creator its owner. */
export const signUpSchema = playerInputSchema.extend({ password: passwordSchema }).meta({ id: 'SignUp' });
export type SignUp = z.infer<typeof signUpSchema>;

export const tokenRequestSchema = z.strictObject({ nick: nickSchema, password: z.string().min(1).max(128) }).meta({ id: 'TokenRequest' });

export const tokenResponseSchema = z
  .object({
    token: z.string().meta({ description: 'Send as Authorization: Bearer <token>' }),
    expiresIn: z.int().meta({ description: 'Seconds until the token expires' }),
  })
  .meta({ id: 'Token' });

export const passwordChangeSchema = z.strictObject({ currentPassword: z.string().min(1).max(128), newPassword: passwordSchema }).meta({ id: 'PasswordChange' });
