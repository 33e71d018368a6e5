// /v1/players/{nick}/matches: other players ranked for one player, best first.
import type { MatchService } from '../../matches/service.ts';
import { matchPageSchema, matchQuerySchema } from '../../matches/schema.ts';
import { sendJson } from '../json-response.ts';
import { commonProblems, problem } from '../responses.ts';
import { defineRoute, type RouteSpec } from '../route.ts';
import { nickParams, visibleTo } from './players.ts';

export function matchRoutes(service: MatchService): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/players/:nick/matches',
      params: nickParams,
      operationId: 'suggestMatches',
      summary: 'Players to play with, best match first, each with its score and the reasons for it; pages follow nextCursor; contact only with a token',
      tag: 'players',
      access: 'optional',
      query: matchQuerySchema,
      responses: {
        200: { description: 'One page of matches; empty when no one shares a game with the player', schema: matchPageSchema, headers: ['Cache-Control'] },
        ...commonProblems,
        404: problem('No such player'),
      },
      handle: async (ctx, { params: { nick }, query }) => {
        const page = await service.suggest(nick, query);
        ctx.vary('Authorization');
        ctx.set('Cache-Control', 'no-store');
        sendJson(ctx, { ...page, items: page.items.map((match) => ({ ...match, player: visibleTo(ctx, match.player) })) });
      },
    }),
  ];
}
