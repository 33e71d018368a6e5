// Owns the MongoDB client for the process: the database handle, readiness, and a connect-and-create-indexes
// loop that keeps retrying in the background, so the service starts (and answers /healthz) while MongoDB
// is down and turns ready when it comes up, without a restart. Then the indexes are checked every
// MONGODB_INDEX_CHECK_INTERVAL_MS: a database dropped or restored under the service (or a MongoDB that
// came back on an empty volume) gets them again, unique ones included, without a restart. Which indexes
// exist is the business of the repositories built on the handle (service.ts builds them); they are
// handed back here as preparers, with the other upkeep to run at each check (finishing deletions that a
// process died in the middle of).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db, MongoClient } from 'mongodb';
import { redactUri, type MongoSettings } from '../config/mongo.ts';
import { resolvesWithin } from '../deadline.ts';
import { failureLog } from '../failure-log.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { createMongoClient, ping } from './mongo.ts';

/** Creates, idempotently, the indexes its collections rely on; returns those it had to create. */
export interface IndexPreparer {
  ensureIndexes(): Promise<string[]>;
}

export interface Database {
  /** The configured database; usable at once, its operations wait for a connection. */
  readonly db: Db;
  /** Starts the connect-and-create-indexes loop over these preparers, and `upkeep` at each later check; call once. */
  prepare(preparers: readonly IndexPreparer[], upkeep: () => Promise<void>): void;
  /** Resolves when MongoDB answers and the indexes exist; rejects with the reason otherwise. */
  readiness(): Promise<void>;
  /** Stops the index retries and closes the client, waiting closeWaitMs at most; call after the HTTP server has drained. */
  close(): Promise<void>;
}

const maxRetryDelayMs = 5000;
/**
 * How long shutdown waits for the client to close. Closing tells the server to end the client's sessions,
 * which a stalled server never answers; the process exits all the same, well within the chart's margin
 * for it (values: shutdown.marginSeconds, 5 s).
 */
const closeWaitMs = 2000;

export function openDatabase(settings: MongoSettings, metrics: Metrics, logger: Logger): Database {
  const client = createMongoClient(settings, metrics);
  const stopping = new AbortController();
  let indexesReady = false;
  logger.info({ mongodb: redactUri(settings.uri), database: settings.database }, 'using MongoDB');

  return {
    db: client.db(settings.database),
    prepare(preparers, upkeep) {
      void prepare(client, preparers, logger, stopping.signal).then(async (done) => {
        indexesReady = done;
        if (done) await keepUp(preparers, upkeep, settings.indexCheckIntervalMs, logger, stopping.signal);
      });
    },
    async readiness() {
      if (!indexesReady) throw new Error('indexes are not created yet');
      await ping(client, settings.operationTimeoutMs);
    },
    async close() {
      stopping.abort();
      const closing = client.close().catch((error: unknown) => {
        logger.warn({ err: error }, 'closing MongoDB failed');
      });
      if (!(await resolvesWithin(closing, closeWaitMs))) logger.warn({ waitedMs: closeWaitMs }, 'MongoDB did not confirm the close in time; exiting without it');
    },
  };
}

async function prepare(client: MongoClient, preparers: readonly IndexPreparer[], logger: Logger, signal: AbortSignal): Promise<boolean> {
  const failures = failureLog(logger, 'MongoDB not usable yet; retrying');
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      // Explicitly: after a failed first connection the driver's implicit connect leaves the client
      // closed for good ("Topology is closed"), while connect() tries again.
      await client.connect();
      await ensureAllIndexes(preparers);
      logger.info('MongoDB connected; indexes ready');
      return true;
    } catch (error) {
      const delayMs = Math.min(250 * 2 ** attempt, maxRetryDelayMs);
      failures.failed(error, { attempt, retryInMs: delayMs });
      await sleep(delayMs, undefined, { signal }).catch(() => undefined);
    }
  }
  return false;
}

/** Indexes that go missing later are created again, then `upkeep` runs; failures (MongoDB down) wait for the next check. */
async function keepUp(preparers: readonly IndexPreparer[], upkeep: () => Promise<void>, intervalMs: number, logger: Logger, signal: AbortSignal): Promise<void> {
  const failures = failureLog(logger, 'checking the indexes or finishing deletions failed; trying again later');
  while (await sleep(intervalMs, true, { signal, ref: false }).catch(() => false)) {
    try {
      const created = await ensureAllIndexes(preparers);
      if (created.length > 0) logger.warn({ indexes: created }, 'indexes were missing (database dropped or restored?); created them again');
      await upkeep();
      failures.recovered();
    } catch (error) {
      // Closing the client for shutdown fails a check in flight: no news.
      if (!signal.aborted) failures.failed(error);
    }
  }
}

async function ensureAllIndexes(preparers: readonly IndexPreparer[]): Promise<string[]> {
  const created: string[] = [];
  for (const preparer of preparers) created.push(...(await preparer.ensureIndexes()));
  return created;
}
