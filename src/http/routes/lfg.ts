// /v1/lfg: looking-for-group posts. Who may call each operation is declared (`access`); which post is
// whose, and who is a member, the service decides.
import type { Context } from 'koa';
import { lfgMemberParamsSchema, lfgPageSchema, lfgParamsSchema, lfgPostSchema, lfgSearchSchema } from '../../lfg/schema.ts';
import type { LfgService } from '../../lfg/service.ts';
import { caller, callingPlayer } from '../authentication.ts';
import { sendJson } from '../json-response.ts';
import { commonProblems, jsonBody, problem, writeProblems } from '../responses.ts';
import { defineRoute, type RouteSpec } from '../route.ts';

const player = { player: true } as const;
/** Posts change with every join and show contacts by caller: no response is worth storing. */
const postResponse = (description: string) => ({ description, schema: lfgPostSchema, headers: ['Cache-Control'] });
const noPost = problem('No such post, or it has expired or was closed');

export function lfgRoutes(service: LfgService): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/lfg',
      operationId: 'publishLfgPost',
      summary: 'Publish a looking-for-group post, owned by the caller',
      tag: 'lfg',
      access: player,
      body: { schema: service.inputSchema, contentTypes: jsonBody },
      responses: { 201: { ...postResponse('Published'), headers: ['Location', 'Cache-Control'] }, ...writeProblems, 409: problem('The caller has as many open posts as a player may have') },
      handle: async (ctx, { body }) => {
        const post = await service.create(callingPlayer(ctx), body);
        ctx.status = 201;
        ctx.set('Location', `/v1/lfg/${post.id}`);
        send(ctx, post);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/lfg',
      operationId: 'searchLfgPosts',
      summary: 'Open posts, soonest first; all filters combine, pages follow nextCursor',
      tag: 'lfg',
      access: 'optional',
      query: lfgSearchSchema,
      responses: { 200: { description: 'One page of open posts', schema: lfgPageSchema, headers: ['Cache-Control'] }, ...commonProblems },
      handle: async (ctx, { query }) => {
        send(ctx, await service.search(query, caller(ctx)));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/lfg/:id',
      params: lfgParamsSchema,
      operationId: 'getLfgPost',
      summary: 'One open post; its owner and members also see each other\'s contact',
      tag: 'lfg',
      access: 'optional',
      responses: { 200: postResponse('The post'), ...commonProblems, 404: noPost },
      handle: async (ctx, { params: { id } }) => {
        send(ctx, await service.get(id, caller(ctx)));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/lfg/:id',
      params: lfgParamsSchema,
      operationId: 'closeLfgPost',
      summary: 'Close a post (its owner or the operator)',
      tag: 'lfg',
      access: { ...player, operator: true },
      beforeWrite: (ctx, { id }) => service.assertClosable(id, caller(ctx)),
      responses: { 204: { description: 'Closed' }, ...commonProblems, 404: noPost },
      handle: async (ctx, { params: { id } }) => {
        await service.close(id, caller(ctx));
        ctx.status = 204;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/lfg/:id/members',
      params: lfgParamsSchema,
      operationId: 'joinLfgPost',
      summary: 'Take a free slot of a post',
      tag: 'lfg',
      access: player,
      beforeWrite: (ctx, { id }) => service.assertJoinable(id, callingPlayer(ctx)),
      responses: {
        200: postResponse('Joined; the post as a member sees it'),
        ...commonProblems,
        404: noPost,
        409: problem('Already a member, the caller\'s own post, no free slot, or expired'),
        503: { ...problem('MongoDB is unreachable, or the join took so long that it was undone; retry after Retry-After seconds'), headers: ['Retry-After'] },
      },
      handle: async (ctx, { params: { id } }) => {
        send(ctx, await service.join(id, callingPlayer(ctx)));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/lfg/:id/members/:nick',
      params: lfgMemberParamsSchema,
      operationId: 'leaveLfgPost',
      summary: 'Leave a post (the member) or remove a member (the post\'s owner)',
      tag: 'lfg',
      access: player,
      beforeWrite: (ctx, { id, nick }) => service.assertLeavable(id, nick, caller(ctx)),
      responses: { 204: { description: 'Left' }, ...commonProblems, 404: problem('No such post, or the player is not a member') },
      handle: async (ctx, { params: { id, nick } }) => {
        await service.leave(id, nick, caller(ctx));
        ctx.status = 204;
      },
    }),
  ];
}

function send(ctx: Context, body: object): void {
  ctx.vary('Authorization');
  ctx.set('Cache-Control', 'no-store');
  sendJson(ctx, body);
}
