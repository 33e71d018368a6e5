// /v1/auth/token and /v1/players/{nick}/password: logging in and changing a password.
import { z } from 'zod';
import { passwordChangeSchema, tokenRequestSchema, tokenResponseSchema } from '../../auth/schema.ts';
import type { AccountService } from '../../auth/service.ts';
import { nickSchema } from '../../players/schema.ts';
import { callingPlayer } from '../authentication.ts';
import { sendJson } from '../json-response.ts';
import { hashingUnavailable, jsonBody, problem, writeProblems } from '../responses.ts';
import { defineRoute, type RouteSpec } from '../route.ts';

const bodyProblems = {
  ...writeProblems,
  429: { ...problem('Too many failed logins for this nick; wait Retry-After seconds'), headers: ['Retry-After'] },
  503: hashingUnavailable,
} as const;

export function accountRoutes(accounts: AccountService): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/auth/token',
      operationId: 'createToken',
      summary: 'Log in: a bearer token for a nick and its password',
      tag: 'auth',
      body: { schema: tokenRequestSchema, contentTypes: jsonBody },
      responses: {
        200: { description: 'A signed token (JWT) for Authorization: Bearer', schema: tokenResponseSchema },
        ...bodyProblems,
        401: problem('Unknown nick or wrong password (the same answer for both)'),
      },
      handle: async (ctx, { body }) => {
        const token: z.infer<typeof tokenResponseSchema> = await accounts.login(body.nick, body.password);
        ctx.set('Cache-Control', 'no-store');
        sendJson(ctx, token);
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/players/:nick/password',
      params: z.strictObject({ nick: nickSchema }),
      operationId: 'changePassword',
      summary: 'Change the password; every token issued before stops working',
      tag: 'auth',
      access: { owner: 'nick' },
      body: { schema: passwordChangeSchema, contentTypes: jsonBody },
      responses: {
        204: { description: 'Changed; log in again for a new token' },
        ...bodyProblems,
        403: problem('Another player\'s token, or the current password is wrong'),
        409: problem('Changed concurrently by another request'),
      },
      handle: async (ctx, { params: { nick }, body }) => {
        await accounts.changePassword(nick, body.currentPassword, body.newPassword, callingPlayer(ctx).profile);
        ctx.status = 204;
      },
    }),
  ];
}
