// The one entry point: config → logger → MongoDB → Koa app → HTTP server → terminus → listen.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { openDatabase } from './db/database.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from './db/embedded.ts';
import { attachLifecycle } from './lifecycle.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { PlayerService } from './players/service.ts';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

async function main(): Promise<void> {
  let config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  let embedded: EmbeddedMongo | undefined;
  if (config.mongo === undefined) {
    logger.info('no MONGODB_URI or MONGODB_HOST: starting an embedded MongoDB (development only)');
    embedded = await startEmbeddedMongo(config.embeddedMongoDir);
    config = loadConfig({ ...process.env, MONGODB_URI: embedded.uri });
  }
  const mongo = config.mongo;
  if (mongo === undefined) throw new ConfigError('no MongoDB configured');
  const metrics = createMetrics();
  const database = openDatabase(mongo, metrics, logger);
  const players = new PlayerService(database.players, { onRegistered: () => { metrics.playersRegistered.inc(); } });
  const app = createApp({ players, metrics, logger, bodyLimitBytes: config.bodyLimitBytes, info: packageJson });

  const server = createServer(app.handler);
  attachLifecycle(server, {
    readiness: () => database.readiness(),
    onShutdown: async () => {
      await database.close();
      await embedded?.stop();
    },
    shutdownDelayMs: config.shutdownDelayMs,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    logger,
    signals: ['SIGTERM', 'SIGINT'],
  });
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'HTTP server failed');
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const address = server.address();
    logger.info({ address, version: packageJson.version }, 'listening');
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  // A configuration problem is one line naming the variable; anything else is a startup failure.
  const message = error instanceof ConfigError ? `playerfinder: ${error.message}` : `playerfinder: startup failed: ${String(error)}`;
  process.stderr.write(message + '\n');
  process.exit(1);
});
