// Who is calling: reads the bearer token of routes that declare an `access` (route.ts), and enforces it.
// Routes never check ownership themselves; they declare it, and the OpenAPI document says the same.
import type { Context, Next } from 'koa';
import { anonymous, type Access, type Caller, type PlayerCaller } from '../auth/caller.ts';
import { InvalidTokenError } from '../auth/tokens.ts';
import { AppError, bearerRealm as realm, insufficientScope, invalidToken } from '../errors.ts';
import { normaliseKey } from '../players/keys.ts';
import { bearerTokenPattern } from '../validation.ts';

export type Authenticate = (token: string) => Promise<Caller>;

interface CallerState {
  caller?: Caller;
}

/** Sets the caller for the route; a token that is present but invalid is a 401, whatever the route. */
export function identifyCaller(authenticate: Authenticate) {
  return async function identify(ctx: Context, next: Next): Promise<void> {
    (ctx.state as CallerState).caller = await callerOf(ctx.get('Authorization'), authenticate);
    await next();
  };
}

/** The caller identifyCaller found; anonymous on routes without an `access`. */
export function caller(ctx: Context): Caller {
  return (ctx.state as CallerState).caller ?? anonymous;
}

/** The calling player, on a route whose `access` admits players and no one else. */
export function callingPlayer(ctx: Context): PlayerCaller {
  const who = caller(ctx);
  if (who.kind !== 'player') throw new Error('route declared for players only');
  return who;
}

/** The profile of a calling player (see Writer in players/service.ts); undefined for anyone else. */
export function callerProfile(ctx: Context): string | undefined {
  const who = caller(ctx);
  return who.kind === 'player' ? who.profile : undefined;
}

/** 401 (no usable credentials) or 403 (someone else's) unless the caller meets `access`. */
export function authorize(ctx: Context, access: Access, params: unknown): void {
  if (access === 'optional') return;
  const who = caller(ctx);
  if (who.kind === 'operator' && access.operator === true) return;
  if (who.kind === 'anonymous') {
    throw new AppError(401, { detail: 'Send Authorization: Bearer <token> (POST /v1/auth/token).', headers: { 'WWW-Authenticate': `Bearer ${realm}` } });
  }
  if ('player' in access) {
    if (who.kind === 'player') return;
    throw insufficientScope('Only a player may do this.', 'not a player');
  }
  const owner = (params as Record<string, unknown>)[access.owner];
  if (who.kind === 'player' && typeof owner === 'string' && normaliseKey(owner) === who.nick) return;
  throw insufficientScope('Only the profile\'s owner may do this.', 'not the owner of this profile');
}

async function callerOf(header: string, authenticate: Authenticate): Promise<Caller> {
  // RFC 6750 §3.1: another scheme (or none) is no bearer credential at all, answered without an error code.
  if (!/^Bearer(\s|$)/i.test(header)) return anonymous;
  // §2.1: the token is b64token characters.
  const token = /^Bearer +(\S+) *$/i.exec(header)?.[1];
  if (token === undefined || !bearerTokenPattern.test(token)) throw invalidToken('The bearer token is malformed.');
  try {
    return await authenticate(token);
  } catch (error) {
    if (error instanceof InvalidTokenError) throw invalidToken(error.message);
    throw error;
  }
}
