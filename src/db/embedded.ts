// Development convenience: with no MongoDB configured, start a real mongod through mongodb-memory-server
// (downloaded once, data kept under .data/mongodb). It is a dev dependency, absent from the image.
import { mkdir } from 'node:fs/promises';
import { ConfigError } from '../config.ts';

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
