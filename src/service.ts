// Wires one service instance: metrics, MongoDB, player and account use cases, the Koa app, an HTTP server
// with health checks and graceful shutdown. main.ts runs one; tests run several in one process; seed.ts
// writes through the same use cases, without the HTTP part.
import { createServer, type Server } from 'node:http';
import { createApp, type App } from './app.ts';
import { PasswordHasher } from './auth/passwords.ts';
import { AccountRepository } from './auth/repository.ts';
import { AccountService } from './auth/service.ts';
import { TokenIssuer } from './auth/tokens.ts';
import type { Config } from './config.ts';
import type { MongoSettings } from './config/mongo.ts';
import { openDatabase, type Database } from './db/database.ts';
import { ConnectionDrain } from './http/connections.ts';
import { holdContinue } from './http/expect-continue.ts';
import type { ServiceInfo } from './http/routes/service.ts';
import { attachLifecycle } from './lifecycle.ts';
import type { Logger } from './logger.ts';
import { LfgRepository } from './lfg/repository.ts';
import { LfgService } from './lfg/service.ts';
import { MatchRepository } from './matches/repository.ts';
import { MatchService } from './matches/service.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { PlayerRepository } from './players/repository.ts';
import { PlayerService } from './players/service.ts';

export interface Service {
  readonly server: Server;
  /** The probes' listener (HEALTH_PORT), if configured; it serves /healthz and /readyz only. */
  readonly healthServer: Server | undefined;
  readonly app: App;
  readonly metrics: Metrics;
  readonly database: Database;
}

/** MongoDB and the use cases on it, wired once for the HTTP service and for the seed script. */
export interface Domain {
  readonly metrics: Metrics;
  readonly database: Database;
  readonly players: PlayerService;
  readonly accounts: AccountService;
  readonly matches: MatchService;
  readonly lfg: LfgService;
}

export interface ServiceOptions {
  readonly info: ServiceInfo;
  /** Signals that start a graceful shutdown; none where several services share a process. */
  readonly signals: readonly NodeJS.Signals[];
  /** Runs after the HTTP server has drained and MongoDB is closed. */
  readonly afterShutdown?: () => Promise<void>;
  /** The clock of looking-for-group posts; tests move it to see posts expire. */
  readonly clock?: () => Date;
}

/** `authSecret` signs tokens; `clock` is that of looking-for-group posts (default: the real one). */
export function openDomain(config: Config, mongo: MongoSettings, authSecret: Uint8Array, logger: Logger, clock?: () => Date): Domain {
  const metrics = createMetrics();
  const database = openDatabase(mongo, metrics, logger);
  const limits = { operationTimeoutMs: mongo.operationTimeoutMs };
  const playerRepository = new PlayerRepository(database.db, limits);
  const accountRepository = new AccountRepository(database.db, limits);
  const lfgRepository = new LfgRepository(database.db, limits);
  const lfg = new LfgService(lfgRepository, playerRepository, {
    ...(clock === undefined ? {} : { now: clock }),
    onCreated: () => {
      metrics.lfgPostsCreated.inc();
    },
    onJoin: (outcome) => {
      metrics.lfgJoins.inc({ outcome });
    },
  });
  const players = new PlayerService(playerRepository, {
    onRegistered: () => {
      metrics.playersRegistered.inc();
    },
    onDeleted: async (deleted) => {
      await lfg.forgetPlayer(deleted);
      // Tokens and passwords die with the profile (they name its incarnation): removing them only saves space.
      await accountRepository.removeAll(deleted.nick, deleted.incarnation).catch(() => undefined);
    },
  });
  database.prepare([playerRepository, accountRepository, lfgRepository], () => players.finishDeletions());
  const { auth } = config;
  const accounts = new AccountService(players, accountRepository, new PasswordHasher({ concurrency: auth.hashConcurrency, queueLimit: auth.hashQueueLimit }), new TokenIssuer(authSecret, auth.tokenTtlSeconds), {
    operatorToken: auth.operatorToken,
    loginLimit: auth.loginLimit,
    loginWindowSeconds: auth.loginWindowSeconds,
    onLogin: (outcome) => {
      metrics.logins.inc({ outcome });
    },
  });
  const matches = new MatchService(players, new MatchRepository(database.db, limits), { candidateLimit: config.matchCandidateLimit });
  return { metrics, database, players, accounts, matches, lfg };
}

/** Builds the service; it listens once the caller calls server.listen. `authSecret` signs tokens. */
export function createService(config: Config, mongo: MongoSettings, authSecret: Uint8Array, logger: Logger, options: ServiceOptions): Service {
  const { metrics, database, players, accounts, matches, lfg } = openDomain(config, mongo, authSecret, logger, options.clock);
  const app = createApp({ players, accounts, matches, lfg, metrics, logger, bodyLimitBytes: config.bodyLimitBytes, info: options.info });
  const connections = new ConnectionDrain((status, reason) => {
    metrics.httpRequestsRefused.inc({ status });
    logger.info({ status, reason }, 'request refused');
  });
  const { http } = config;
  const serverOptions = {
    requestTimeout: http.requestTimeoutMs,
    headersTimeout: http.headersTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    // How often Node enforces the two timeouts above (default 30 s, far coarser than they are).
    connectionsCheckingInterval: Math.min(1000, http.headersTimeoutMs / 2),
  };
  // The app refuses a missing or repeated Host as a problem (http/request-head.ts), not Node as a bare 400.
  const server = createServer({ ...serverOptions, requireHostHeader: false }, connections.listener(app.handle));
  server.maxConnections = http.maxConnections;
  holdContinue(server);
  // Uncapped: clients holding every connection of PORT must not fail the liveness probe and restart the pod.
  const healthServer = config.healthPort === undefined ? undefined : createServer(serverOptions);
  server.on('clientError', connections.refuse);
  server.on('connect', connections.refuseTunnel);
  healthServer?.on('connect', connections.refuseTunnel);
  healthServer?.on('clientError', connections.refuse);
  server.on('drop', () => { metrics.httpConnectionsDropped.inc(); });
  attachLifecycle(server, {
    healthServer,
    connections,
    readiness: () => database.readiness(),
    onShutdown: async () => {
      await database.close();
      await options.afterShutdown?.();
    },
    shutdownDelayMs: config.shutdownDelayMs,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    logger,
    signals: options.signals,
  });
  return { server, healthServer, app, metrics, database };
}
