// Development convenience: with no MongoDB configured, start a real mongod through mongodb-memory-server
// (downloaded once, data kept under .data/mongodb). It is a dev dependency, absent from the image.
import { mkdir } from 'node:fs/promises';
import { ConfigError } from '../config.ts';

export interface EmbeddedMongo {
  readonly uri: string;
  stop(): Promise<void>;
}

const howToConfigure = 'set MONGODB_URI (e.g. mongodb://127.0.0.1:27017/playerfinder) to use a running MongoDB or FerretDB instead';

export async function startEmbeddedMongo(dataDir: string | undefined): Promise<EmbeddedMongo> {
  let MongoMemoryServer: typeof import('mongodb-memory-server-core').MongoMemoryServer;
  try {
    ({ MongoMemoryServer } = await import('mongodb-memory-server-core'));
  } catch {
    throw new ConfigError(`no MongoDB configured and the embedded one is not installed (dev dependency); ${howToConfigure}`);
  }
  try {
    if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
    const server = await MongoMemoryServer.create({
      instance: dataDir === undefined ? {} : { dbPath: dataDir, storageEngine: 'wiredTiger' },
    });
    return {
      uri: server.getUri(),
      stop: async () => {
        await server.stop({ doCleanup: dataDir === undefined });
      },
    };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new ConfigError(`embedded MongoDB could not start (${reason ?? 'unknown error'}); ${howToConfigure}`);
  }
}
