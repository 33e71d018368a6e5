// The one entry point: config → logger → (embedded MongoDB) → service → listen.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadConfig, requiredAuthSecret } from './config.ts';
import { ConfigError } from './config/error.ts';
import { configuredOrEmbeddedMongo } from './db/embedded.ts';
import { createLogger, type Logger } from './logger.ts';
import { createService } from './service.ts';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const configuredSecret = requiredAuthSecret(config);
  const logger = createLogger(config.logLevel);
  const { mongo, embedded } = await configuredOrEmbeddedMongo(config, process.env, logger);
  const { server, healthServer } = createService(config, mongo, configuredSecret ?? developmentSecret(logger), logger, {
    info: packageJson,
    signals: ['SIGTERM', 'SIGINT'],
    afterShutdown: async () => {
      await embedded?.stop();
    },
  });
  for (const listener of [server, healthServer]) {
    listener?.on('error', (error) => {
      logger.fatal({ err: error }, 'HTTP server failed');
      process.exit(1);
    });
  }
  server.listen(config.port, config.host, () => {
    logger.info({ address: server.address(), version: packageJson.version }, 'listening');
  });
  healthServer?.listen(config.healthPort, config.host, () => {
    logger.info({ address: healthServer.address() }, 'health checks listening');
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    process.exit(1);
  });
}

/** Embedded development mode without AUTH_SECRET: a key for this process only, announced once. */
function developmentSecret(logger: Logger): Uint8Array {
  logger.warn('no AUTH_SECRET: signing tokens with a random key made for this process (development only); restarting logs everyone out');
  return new Uint8Array(randomBytes(32));
}

main().catch((error: unknown) => {
  // A configuration problem is one line naming the variable; anything else is a startup failure.
  const message = error instanceof ConfigError ? `playerfinder: ${error.message}` : `playerfinder: startup failed: ${String(error)}`;
  process.stderr.write(message + '\n');
  process.exit(1);
});
