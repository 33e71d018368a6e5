// The MongoDB client: options from config, and the driver's monitoring events turned into metrics.
import { MongoClient, type MongoClientOptions } from 'mongodb';
import type { MongoSettings } from '../config/mongo.ts';
import type { Metrics } from '../metrics.ts';

export function createMongoClient(settings: MongoSettings, metrics: Metrics): MongoClient {
  // Options passed here override the URI's, so only what configuration decided is passed.
  const options: MongoClientOptions = definedOnly({
    appName: 'playerfinder',
    serverSelectionTimeoutMS: settings.serverSelectionTimeoutMs,
    connectTimeoutMS: settings.connectTimeoutMs,
    maxPoolSize: settings.maxPoolSize,
    // Command events are only emitted when asked for; they feed the command metrics.
    monitorCommands: true,
    tls: settings.tls ? true : undefined,
    replicaSet: settings.replicaSet,
    auth: settings.credentials === undefined ? undefined : { username: settings.credentials.username, password: settings.credentials.password },
    authSource: settings.credentials?.authSource,
  });
  const client = new MongoClient(settings.uri, options);
  observe(client, metrics);
  return client;
}

function definedOnly<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;
}

function observe(client: MongoClient, metrics: Metrics): void {
  client.on('commandSucceeded', (event) => {
    metrics.mongoCommandDuration.observe({ command: event.commandName }, event.duration / 1000);
  });
  client.on('commandFailed', (event) => {
    metrics.mongoCommandDuration.observe({ command: event.commandName }, event.duration / 1000);
    metrics.mongoCommandFailures.inc({ command: event.commandName });
  });
  const pool = metrics.mongoPoolConnections;
  pool.set({ state: 'checked_out' }, 0);
  pool.set({ state: 'total' }, 0);
  client.on('connectionCreated', () => { pool.inc({ state: 'total' }); });
  client.on('connectionClosed', () => { pool.dec({ state: 'total' }); });
  client.on('connectionCheckedOut', () => { pool.inc({ state: 'checked_out' }); });
  client.on('connectionCheckedIn', () => { pool.dec({ state: 'checked_out' }); });
}

/** Readiness: a round trip to the server, bounded so a probe never waits on the driver's defaults. */
export async function ping(client: MongoClient, timeoutMs: number): Promise<void> {
  // In the command itself: the driver adds no maxTimeMS to a command it is given (and ignores timeoutMS).
  await client.db('admin').command({ ping: 1, maxTimeMS: timeoutMs });
}
