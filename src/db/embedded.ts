// Development convenience: with no MongoDB configured, start a real mongod through mongodb-memory-server
// (downloaded once, data kept under .data/mongodb). It is a dev dependency, absent from the image.
import { mkdir } from 'node:fs/promises';
import { loadConfig, type Config } from '../config.ts';
import { ConfigError } from '../config/error.ts';
import type { MongoSettings } from '../config/mongo.ts';
import type { Logger } from '../logger.ts';

export interface EmbeddedMongo {
  readonly uri: string;
  stop(): Promise<void>;
}

const howToConfigure = 'set MONGODB_URI (e.g. mongodb://127.0.0.1:27017/playerfinder) to use a running MongoDB or FerretDB instead';

async function loadMongoMemoryServer() {
  try {
    const { MongoBinary, MongoMemoryServer } = await import('mongodb-memory-server-core');
    return { MongoBinary, MongoMemoryServer };
  } catch {
    throw new ConfigError(`no MongoDB configured and the embedded one is not installed (dev dependency); ${howToConfigure}`);
  }
}

export async function startEmbeddedMongo(dataDir: string | undefined): Promise<EmbeddedMongo> {
  const { MongoBinary, MongoMemoryServer } = await loadMongoMemoryServer();
  try {
    if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
    // Fetch (or find) mongod first: a failed download then surfaces as our one line, not as the
    // multi-line report MongoMemoryServer.create prints before rethrowing.
    const binary = await MongoBinary.getPath();
    const server = await MongoMemoryServer.create({
      binary: { systemBinary: binary },
      instance: dataDir === undefined ? {} : { dbPath: dataDir, storageEngine: 'wiredTiger' },
    });
    return {
      uri: server.getUri(),
      stop: async () => {
        await server.stop({ doCleanup: dataDir === undefined });
      },
    };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
    throw new ConfigError(`embedded MongoDB could not start (${reason}); ${howToConfigure}`);
  }
}

/** The configured MongoDB, or an embedded one when none is configured (development only). */
export async function configuredOrEmbeddedMongo(config: Config, env: NodeJS.ProcessEnv, logger: Logger): Promise<{ mongo: MongoSettings; embedded?: EmbeddedMongo }> {
  if (config.mongo !== undefined) return { mongo: config.mongo };
  logger.info('no MONGODB_URI or MONGODB_HOST: starting an embedded MongoDB (development only)');
  const embedded = await startEmbeddedMongo(config.embeddedMongoDir);
  const mongo = loadConfig({ ...env, MONGODB_URI: embedded.uri }).mongo;
  if (mongo === undefined) throw new ConfigError('invalid MONGODB_URI: the embedded MongoDB gave no usable URI');
  return { mongo, embedded };
}
