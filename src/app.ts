// Builds the Koa application. Opens no sockets and reads no environment: main.ts and the tests hand it
// everything, so several apps can run side by side in one process.
import type { IncomingMessage, ServerResponse } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type { AccountService } from './auth/service.ts';
import { identifyCaller } from './http/authentication.ts';
import { requestEnvelope } from './http/envelope.ts';
import { registerRoutes, type RouteSpec } from './http/route.ts';
import { accountRoutes } from './http/routes/accounts.ts';
import { docsRoutes } from './http/routes/docs.ts';
import { lfgRoutes } from './http/routes/lfg.ts';
import { matchRoutes } from './http/routes/matches.ts';
import { playerRoutes } from './http/routes/players.ts';
import { serviceRoutes, type ServiceInfo } from './http/routes/service.ts';
import type { Logger } from './logger.ts';
import type { LfgService } from './lfg/service.ts';
import type { MatchService } from './matches/service.ts';
import type { Metrics } from './metrics.ts';
import { buildOpenApiDocument } from './openapi.ts';
import type { PlayerService } from './players/service.ts';

export interface AppDependencies {
  readonly players: PlayerService;
  readonly accounts: AccountService;
  readonly matches: MatchService;
  readonly lfg: LfgService;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly info: ServiceInfo;
}

export interface App {
  readonly router: Router;
  /** Serves one request; settles once the response is done. Koa handles its own errors, so it never rejects. */
  readonly handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
}

export function createApp(deps: AppDependencies): App {
  let openApiDocument: Record<string, unknown> | undefined;
  const routes: RouteSpec[] = [
    ...serviceRoutes(deps.info, deps.metrics, (): object => (openApiDocument ??= buildOpenApiDocument(routes, { title: deps.info.name, version: deps.info.version }))),
    ...playerRoutes(deps.players, deps.accounts),
    ...accountRoutes(deps.accounts),
    ...docsRoutes(),
    ...matchRoutes(deps.matches),
    ...lfgRoutes(deps.lfg),
  ];
  const router = new Router();
  registerRoutes(
    router,
    routes,
    {
      parse: bodyParser({
        enableTypes: ['json'],
        // The route has already checked the media type against its own list (JSON or merge patch).
        detectJSON: () => true,
        jsonLimit: String(deps.bodyLimitBytes),
        // Any JSON value parses: the route's schema then says that it must be an object, in its own words,
        // rather than the parser calling `null` or `"text"` invalid JSON.
        jsonStrict: false,
      }),
      limitBytes: deps.bodyLimitBytes,
    },
    identifyCaller((token) => deps.accounts.authenticate(token)),
  );

  const koa = new Koa();
  // Errors are rendered and logged by the envelope; Koa's default handler would print stacks to stderr.
  koa.silent = true;
  koa
    .use(requestEnvelope(deps.logger, deps.metrics))
    .use(router.routes())
    .use(router.allowedMethods());
  return { router, handle: koa.callback() };
}
