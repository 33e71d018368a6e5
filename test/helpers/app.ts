// Starts the real service in-process, wired as main.ts wires it, on an ephemeral port against its own database.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import type { App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { createLogger } from '../../src/logger.ts';
import type { Metrics } from '../../src/metrics.ts';
import { createService } from '../../src/service.ts';
import { databaseUri, uniqueDatabaseName } from './mongo.ts';

/** The signing key of test apps, so tests can forge tokens with it (or with another key). */
export const testAuthSecret = 'test-signing-key-that-is-at-least-32-bytes-long';

export interface TestApp {
  readonly url: string;
  readonly app: App;
  readonly metrics: Metrics;
  readonly database: Database;
  readonly databaseName: string;
  /** Every JSON log line the app wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment for loadConfig, e.g. BODY_LIMIT_BYTES or MONGODB_URI. */
  readonly env?: Record<string, string>;
  /** Wait until /readyz passes (default true). */
  readonly waitUntilReady?: boolean;
  /** The clock of looking-for-group posts (default: the real one). */
  readonly clock?: () => Date;
}

export async function startTestApp(name: string, options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    MONGODB_URI: await databaseUri(uniqueDatabaseName(name)),
    MONGODB_SERVER_SELECTION_TIMEOUT_MS: '1500',
    SHUTDOWN_DELAY_MS: '0',
    SHUTDOWN_TIMEOUT_MS: '1000',
    AUTH_SECRET: testAuthSecret,
    // Test files sign up many players at once; the few tests of the bound set their own.
    AUTH_HASH_QUEUE_LIMIT: '1000',
    ...options.env,
  });
  if (config.mongo === undefined || config.auth.secret === undefined) throw new Error('test config has no MongoDB or no AUTH_SECRET');
  const databaseName = config.mongo.database;
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const { server, app, metrics, database } = createService(config, config.mongo, config.auth.secret, logger, {
    info: { name: 'playerfinder', version: 'test' },
    signals: [],
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  await listen(server);
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  if (options.waitUntilReady !== false) await waitForStatus(`${url}/readyz`, 200);
  const mongoUri = config.mongo.uri;
  return {
    url,
    app,
    metrics,
    database,
    databaseName,
    logs,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
      await database.close();
      await dropDatabase(mongoUri, databaseName);
    },
  };
}

/** For after.always hooks: closes the app if its before hook got as far as starting it. */
export async function closeIfStarted(app: TestApp | undefined): Promise<void> {
  await app?.close();
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { resolve(); });
  });
}

/** Polls `url` until it answers `status`; fails after `timeoutMs`. */
export async function waitForStatus(url: string, status: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === status) return;
      last = `HTTP ${String(response.status)}`;
    } catch (error) {
      last = String(error);
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer ${String(status)} within ${String(timeoutMs)} ms (last: ${last})`);
}

async function dropDatabase(uri: string, name: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2000 });
  try {
    await client.db(name).dropDatabase();
  } catch {
    // Best effort: the database name is unique, so a leftover does not affect other runs.
  } finally {
    await client.close();
  }
}
