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
  for (const [listener, port, portVariable] of [[server, config.port, 'PORT'], [healthServer, config.healthPort, 'HEALTH_PORT']] as const) {
    listener?.on('error', (error: NodeJS.ErrnoException) => {
      if (error.syscall === 'listen' || error.syscall === 'getaddrinfo') {
        process.stderr.write(`playerfinder: ${listenFailure(error, config.host, port, portVariable)}\n`);
      } else {
        logger.fatal({ err: error }, 'HTTP server failed');
      }
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

/** A server that cannot listen, as one line naming the setting to change, as a bad value would be. */
function listenFailure(error: NodeJS.ErrnoException, host: string, port: number | undefined, portVariable: 'PORT' | 'HEALTH_PORT'): string {
  // No local address has that name or number; anything else (in use, below 1024 without the right) is the port's.
  const hostAtFault = error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN' || error.code === 'EADDRNOTAVAIL';
  return `invalid ${hostAtFault ? 'HOST' : portVariable}: cannot listen on ${host} port ${String(port)} (${error.code ?? error.message})`;
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
