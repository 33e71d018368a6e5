// /v1/players and /v1/games: parse HTTP specifics (ETag, If-Match, Location), call the service.
import type { Context } from 'koa';
import { z } from 'zod';
import { signUpSchema } from '../../auth/schema.ts';
import type { AccountService } from '../../auth/service.ts';
import type { StoredPlayer } from '../../players/repository.ts';
import {
  gameStatsQuerySchema,
  gameStatsSchema,
  nickSchema,
  playerPageSchema,
  playerPatchSchema,
  playerReplaceSchema,
  playerSchema,
  playerSearchSchema,
  type Player,
} from '../../players/schema.ts';
import { preconditionFailed, satisfies, type PlayerService, type Precondition, type Revisions } from '../../players/service.ts';
import { caller, callerProfile } from '../authentication.ts';
import { sendJson } from '../json-response.ts';
import { commonProblems, hashingUnavailable, jsonBody, problem, writeProblems } from '../responses.ts';
import { defineRoute, type ResponseSpec, type RouteSpec } from '../route.ts';

export const nickParams = z.strictObject({ nick: nickSchema });
const mergePatch = ['application/merge-patch+json', 'application/json'];

const versionHeaders = ['ETag', 'Cache-Control'];
const playerResponse = (description: string): ResponseSpec => ({ description, schema: playerSchema, headers: versionHeaders });

const preconditionFailedProblem = problem('If-Match names no current ETag, or If-None-Match names the current one (or is *)');
const editedConcurrently = problem('Edited concurrently so often that the write could not land; retry');
const ifMatchHeader = { name: 'If-Match', description: 'ETag from a previous response; the write happens only if the player is still at that version (412 otherwise)' };
const ifNoneMatchHeader = { name: 'If-None-Match', description: '* or ETags; the write happens only if the player is at none of these versions (412 otherwise; * always fails, as the player exists)' };

const owner = { owner: 'nick' } as const;

export function playerRoutes(service: PlayerService, accounts: AccountService): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/players',
      operationId: 'createPlayer',
      summary: 'Publish a player profile; its password makes the caller its owner (POST /v1/auth/token)',
      tag: 'players',
      body: { schema: signUpSchema, contentTypes: jsonBody },
      responses: { 201: { ...playerResponse('Created'), headers: [...versionHeaders, 'Location'] }, ...writeProblems, 409: problem('The nick is taken'), 503: hashingUnavailable },
      handle: async (ctx, { body }) => {
        const stored = await accounts.signUp(body);
        ctx.status = 201;
        ctx.set('Location', `/v1/players/${encodeURIComponent(stored.player.nick)}`);
        // Its creator wrote every field, contact included: the full copy, though no token came with it.
        sendPlayer(ctx, stored, 'full');
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/players',
      operationId: 'searchPlayers',
      summary: 'Find players to play with; all filters combine, pages follow nextCursor; contact only with a token',
      tag: 'players',
      query: playerSearchSchema,
      access: 'optional',
      responses: { 200: { description: 'One page of players in nick order', schema: playerPageSchema, headers: ['Cache-Control'] }, ...commonProblems },
      handle: async (ctx, { query }) => {
        const page = await service.search(query);
        ctx.vary('Authorization');
        sendJson(ctx, { ...page, items: page.items.map((player) => visibleTo(ctx, player)) });
        // Personal data without an ETag to revalidate with: nothing may keep a copy.
        ctx.set('Cache-Control', 'no-store');
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/players/:nick',
      params: nickParams,
      operationId: 'getPlayer',
      summary: 'A player by nick (any letter case); contact only with a token',
      tag: 'players',
      access: 'optional',
      headers: [
        { name: 'If-None-Match', description: 'ETag the client has; 304 when it is still current' },
        { name: 'If-Match', description: 'ETags; 412 unless the player is at one of these versions' },
      ],
      responses: {
        200: playerResponse('The player'),
        304: { description: 'Not modified', headers: versionHeaders },
        ...commonProblems,
        404: problem('No such player'),
        412: problem('If-Match does not match the current ETag'),
      },
      handle: async (ctx, { params: { nick } }) => {
        const stored = await service.get(nick);
        // If-None-Match is answered below with a 304, as RFC 9110 §13.2.2 has it for GET.
        const { match } = precondition(ctx) ?? {};
        if (match !== undefined && !satisfies({ match }, stored.revision)) throw preconditionFailed(nick);
        const view = viewOf(ctx);
        if (matchesAny(ctx.get('If-None-Match'), representationTag(stored.revision, view))) {
          setVersionHeaders(ctx, stored, view);
          ctx.vary('Authorization');
          ctx.status = 304;
          return;
        }
        sendPlayer(ctx, stored, view);
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/players/:nick',
      params: nickParams,
      operationId: 'replacePlayer',
      summary: 'Replace a player profile (the nick stays); owner only',
      tag: 'players',
      access: owner,
      headers: [ifMatchHeader, ifNoneMatchHeader],
      body: { schema: playerReplaceSchema, contentTypes: jsonBody },
      responses: {
        200: playerResponse('Replaced'),
        ...writeProblems,
        404: problem('No such player'),
        409: editedConcurrently,
        412: preconditionFailedProblem,
      },
      handle: async (ctx, { params: { nick }, body }) => {
        sendPlayer(ctx, await service.replace(nick, body, precondition(ctx), callerProfile(ctx)));
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/players/:nick',
      params: nickParams,
      operationId: 'updatePlayer',
      summary: 'Change some fields (JSON merge patch; null removes bio or contact); owner only',
      tag: 'players',
      access: owner,
      headers: [ifMatchHeader, ifNoneMatchHeader],
      body: { schema: playerPatchSchema, contentTypes: mergePatch },
      responses: {
        200: playerResponse('Updated'),
        ...writeProblems,
        404: problem('No such player'),
        409: editedConcurrently,
        412: preconditionFailedProblem,
      },
      handle: async (ctx, { params: { nick }, body }) => {
        sendPlayer(ctx, await service.patch(nick, body, precondition(ctx), callerProfile(ctx)));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/players/:nick',
      params: nickParams,
      operationId: 'deletePlayer',
      summary: 'Remove a player profile; its owner or the operator',
      tag: 'players',
      access: { ...owner, operator: true },
      headers: [ifMatchHeader, ifNoneMatchHeader],
      responses: {
        204: { description: 'Deleted' },
        ...commonProblems,
        404: problem('No such player'),
        409: editedConcurrently,
        412: preconditionFailedProblem,
      },
      handle: async (ctx, { params: { nick } }) => {
        await service.delete(nick, precondition(ctx), callerProfile(ctx));
        ctx.status = 204;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/games',
      operationId: 'listGames',
      summary: 'Game titles with how many players play each, most played first',
      tag: 'games',
      query: gameStatsQuerySchema,
      responses: { 200: { description: 'Titles and player counts', schema: gameStatsSchema }, ...commonProblems },
      handle: async (ctx, { query }) => {
        const items: z.infer<typeof gameStatsSchema>['items'] = await service.gameStats(query.limit);
        sendJson(ctx, { items });
      },
    }),
  ];
}

/** What a caller is shown of a player: everything, or (anonymous) all but the contact details. */
type View = 'full' | 'public';

function sendPlayer(ctx: Context, stored: StoredPlayer, view: View = viewOf(ctx)): void {
  setVersionHeaders(ctx, stored, view);
  ctx.vary('Authorization');
  sendJson(ctx, view === 'full' ? stored.player : withoutContact(stored.player));
}

/** Contact details are for players with an account (and the operator), not for anonymous readers. */
function viewOf(ctx: Context): View {
  return caller(ctx).kind === 'anonymous' ? 'public' : 'full';
}

export function visibleTo(ctx: Context, player: Player): Player {
  return viewOf(ctx) === 'full' ? player : withoutContact(player);
}

function withoutContact(player: Player): Player {
  const { contact: _private, ...visible } = player;
  return visible;
}

/** Personal data: only the client may keep it, and must revalidate it (If-None-Match) before each use. */
function setVersionHeaders(ctx: Context, stored: StoredPlayer, view: View): void {
  ctx.set('ETag', representationTag(stored.revision, view));
  ctx.set('Cache-Control', 'private, no-cache');
}

/**
 * The ETag of what was sent: the two views of one version are different representations (RFC 9110
 * §8.8.3), so a client that logs in never revalidates its copy without contact into a 304. Revisions
 * are base64url, so the suffix cannot be confused with one.
 */
function representationTag(revision: string, view: View): string {
  return view === 'full' ? `"${revision}"` : `"${revision}${publicSuffix}"`;
}

const publicSuffix = '.public';

/** Entity tags listed in an If-Match / If-None-Match header; weak tags are kept with their W/ prefix. */
function entityTags(header: string): string[] {
  return header.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
}

/**
 * If-Match uses strong comparison (RFC 9110 §13.1.1), so weak tags never match; If-None-Match weak
 * comparison (§13.1.2). Either view's tag names the stored version, which is what a request must find.
 */
function precondition(ctx: Context): Precondition | undefined {
  const match = revisionsIn(ctx.get('If-Match'), (tag) => tag);
  const noneMatch = revisionsIn(ctx.get('If-None-Match'), (tag) => tag.replace(/^W\//, ''));
  if (match === undefined && noneMatch === undefined) return undefined;
  return { ...(match === undefined ? {} : { match }), ...(noneMatch === undefined ? {} : { noneMatch }) };
}

function revisionsIn(header: string, compared: (tag: string) => string): Revisions | undefined {
  const value = header.trim();
  if (value === '') return undefined;
  if (value === '*') return '*';
  return entityTags(value)
    .flatMap((tag) => /^"([^"]*)"$/.exec(compared(tag))?.slice(1) ?? [])
    .map((tag) => (tag.endsWith(publicSuffix) ? tag.slice(0, -publicSuffix.length) : tag));
}

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2). */
function matchesAny(header: string, tag: string): boolean {
  if (header.trim() === '*') return true;
  return entityTags(header).some((candidate) => candidate.replace(/^W\//, '') === tag);
}
