// What clients send and get back for accounts: sign-up (a profile plus its password), token requests and
// password changes. Validates requests and, through openapi.ts, documents them.
import { z } from 'zod';
import { nickSchema, playerInputSchema } from '../players/schema.ts';

/** Counted as it is compared (passwords.ts), in NFKC, and by code point as NIST SP 800-63B counts. */
const normalisedLength = (password: string): number => Array.from(password.normalize('NFKC')).length;

const passwordSchema = z
  .string()
  // A bound on what is hashed; the documented minimum is checked after normalising.
  .max(128)
  .refine((password) => normalisedLength(password) >= 10, 'at least 10 characters once normalised (NFKC, as passwords are compared): "e" plus a combining accent is one')
  .meta({ description: '10-128 characters, the minimum counted in Unicode NFKC (as passwords are compared); stored only as a salted scrypt hash', format: 'password', minLength: 10 });

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
