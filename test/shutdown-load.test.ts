// Graceful shutdown under keep-alive load, as a load balancer sees a rolling update: many keep-alive
// clients send continuously, SIGTERM arrives in the middle, and no request the server accepted may go
// unanswered or fail.
import { Agent, request } from 'node:http';
import test from 'ava';
import { waitForStatus } from './helpers/app.ts';
import { databaseUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { send, validPlayer } from './helpers/players.ts';
import { startServerProcess } from './helpers/server-process.ts';

const clients = 16;
const shutdownDelayMs = 1000;

interface Answered {
  readonly kind: 'answered';
  readonly sentAt: number;
  readonly status: number;
  /** The response said Connection: close. */
  readonly closing: boolean;
  readonly at: number;
}
interface Failed {
  readonly kind: 'failed';
  readonly code: string;
  /** Sent on a keep-alive connection that had served a request before. */
  readonly reused: boolean;
  readonly at: number;
}
type Outcome = Answered | Failed;

let requestCount = 0;
const answeredIds = new Set<string>();

/** One GET on the agent's keep-alive connection (a new one if the last said Connection: close). */
function get(url: string, agent: Agent): Promise<Outcome> {
  const id = `load-${String(requestCount++)}`;
  const sentAt = Date.now();
  return new Promise((resolve) => {
    const sent = request(url, { agent, headers: { 'X-Request-Id': id } }, (response) => {
      response.resume();
      response.on('end', () => {
        answeredIds.add(id);
        resolve({ kind: 'answered', sentAt, status: response.statusCode ?? 0, closing: response.headers.connection === 'close', at: Date.now() });
      });
    });
    const fail = (error: NodeJS.ErrnoException) => { resolve({ kind: 'failed', code: error.code ?? error.message, reused: sent.reusedSocket, at: Date.now() }); };
    sent.on('response', (response) => response.on('error', fail));
    sent.on('error', fail).end();
  });
}

test('SIGTERM under keep-alive load: every accepted request is answered, then clients are told to close; MongoDB closes last; exit 0', async (t) => {
  const server = await startServerProcess({
    MONGODB_URI: await databaseUri(uniqueDatabaseName('shutdown_load')),
    SHUTDOWN_DELAY_MS: String(shutdownDelayMs),
    SHUTDOWN_TIMEOUT_MS: '5000',
  });
  t.teardown(() => server.child.kill('SIGKILL'));
  await waitForStatus(`${server.url}/readyz`, 200);
  t.is((await send(server.url, 'POST', '/v1/players', { body: validPlayer('under_load') })).status, 201);

  const url = `${server.url}/v1/players/under_load`;
  const outcomes: Outcome[] = [];
  const deadline = Date.now() + 20_000; // bounded even if the server never stops
  let signalledAt = 0;
  const loops = Array.from({ length: clients }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (Date.now() < deadline) {
        const outcome = await get(url, agent);
        outcomes.push(outcome);
        // Refused: the listener has closed, which is the end of the run for this client.
        if (outcome.kind === 'failed' && outcome.code === 'ECONNREFUSED') return;
      }
    } finally {
      agent.destroy();
    }
  });
  setTimeout(() => {
    signalledAt = Date.now();
    server.child.kill('SIGTERM');
  }, 700);
  await Promise.all(loops);
  const exit = await server.exited;

  const answered = outcomes.filter((outcome): outcome is Answered => outcome.kind === 'answered');
  const failed = outcomes.filter((outcome): outcome is Failed => outcome.kind === 'failed');
  // On a connection that had already served a request: the server closed it under the client.
  const cutOff = failed.filter((outcome) => outcome.reused);
  // On a new connection as the listener closed (refused, or reset in the accept backlog): never read.
  const notAccepted = failed.length - cutOff.length;
  const handled = server.logs.filter((line) => line.msg === 'request' && String(line.requestId).startsWith('load-'));
  t.log(`${String(outcomes.length)} sent: ${String(answered.length)} answered, ${String(cutOff.length)} cut off, ${String(notAccepted)} not accepted; the server handled ${String(handled.length)}`);

  t.deepEqual(cutOff, [], 'no request cut off a keep-alive connection');
  t.deepEqual(handled.filter((line) => !answeredIds.has(String(line.requestId))), [], 'every request the server handled reached its client');
  t.true(answered.every((outcome) => outcome.status === 200), 'every answer is a 200');
  const drainLine = server.logs.find((line) => String(line.msg).startsWith('draining'));
  const drainedAt = Date.parse(String(drainLine?.time));
  t.true(drainedAt - signalledAt >= shutdownDelayMs, 'draining began after the delay');
  t.true(answered.some((outcome) => outcome.at > signalledAt && outcome.at < drainedAt), 'served during the delay');
  // Sent once draining had begun, so read by the server after it: each answer must tell the client to close.
  const afterDelay = answered.filter((outcome) => outcome.sentAt > drainedAt);
  t.true(afterDelay.length > 0, 'load went on past the delay');
  t.true(afterDelay.every((outcome) => outcome.closing), 'after the delay every response says Connection: close');
  t.false(server.logs.some((line) => line.level === 'error'), 'no request failed on the server (e.g. MongoDB closed under a handler)');
  t.is(exit.code, 0);
});
