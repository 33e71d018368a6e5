// Graceful shutdown under keep-alive load, as a load balancer sees a rolling update: many keep-alive
// clients send continuously, others sit idle until draining begins, SIGTERM arrives in the middle, and no
// request the server accepted may go unanswered or fail, even one whose client has gone away.
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { waitForStatus } from './helpers/app.ts';
import { databaseUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { send, validPlayer } from './helpers/players.ts';
import { loggedAt, startServerProcess } from './helpers/server-process.ts';

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
    // Room for the abandoned sign-ups below, hashed one at a time on a loaded machine, to finish.
    SHUTDOWN_TIMEOUT_MS: '20000',
    AUTH_HASH_CONCURRENCY: '1',
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
  const draining = () => loggedAt(server, 'draining');
  // Keep-alive clients idle when draining begins, that send right after: their connections must still
  // take one more request, and its answer must tell them to close.
  const idle = Array.from({ length: 4 }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await get(url, agent);
      await draining();
      return await get(url, agent);
    } finally {
      agent.destroy();
    }
  });
  // Sign-ups whose clients go away while they wait for the hasher (one hash at a time): their handlers still
  // run after the server has closed every connection, and MongoDB must stay open until they have stored
  // their players.
  const abandonedNicks = Array.from({ length: 4 }, (_, index) => `left_while_draining_${String(index)}`);
  const abandoned = (async () => {
    await draining();
    await Promise.all(abandonedNicks.map(async (nick) => {
      const socket = connect(server.port, '127.0.0.1');
      // Refused if the listener closed as draining began: the assertion on the sign-ups reports it.
      socket.on('error', () => undefined);
      await once(socket, 'connect').catch(() => undefined);
      const body = JSON.stringify(validPlayer(nick));
      socket.end(`POST /v1/players HTTP/1.1\r\nHost: playerfinder\r\nContent-Type: application/json\r\nContent-Length: ${String(Buffer.byteLength(body))}\r\nX-Request-Id: ${nick}\r\n\r\n${body}`);
      await sleep(50);
      socket.destroy();
    }));
  })();
  setTimeout(() => {
    signalledAt = Date.now();
    server.child.kill('SIGTERM');
  }, 700);
  await Promise.all(loops);
  const lastCalls = await Promise.all(idle);
  await abandoned;
  const exit = await server.exited;

  const answered = outcomes.filter((outcome): outcome is Answered => outcome.kind === 'answered');
  const failed = outcomes.filter((outcome): outcome is Failed => outcome.kind === 'failed');
  // On a connection that had already served a request: the server closed it under the client.
  const cutOff = failed.filter((outcome) => outcome.reused);
  // On a new connection as the listener closed (refused, or reset in the accept backlog): never read.
  const notAccepted = failed.length - cutOff.length;
  const handled = server.logs.filter((line) => line.msg === 'request' && String(line.requestId).startsWith('load-'));
  t.log(`${String(outcomes.length)} sent by busy clients: ${String(answered.length)} answered, ${String(cutOff.length)} cut off, ${String(notAccepted)} not accepted; the server handled ${String(handled.length)}, idle clients' included`);

  t.deepEqual(cutOff, [], 'no request cut off a keep-alive connection');
  t.deepEqual(handled.filter((line) => !answeredIds.has(String(line.requestId))), [], 'every request the server handled reached its client');
  t.true(answered.every((outcome) => outcome.status === 200), 'every answer is a 200');
  const drainedAt = await loggedAt(server, 'draining');
  t.true(drainedAt - signalledAt >= shutdownDelayMs, 'draining began after the delay');
  t.true(answered.some((outcome) => outcome.at > signalledAt && outcome.at < drainedAt), 'served during the delay');
  // Sent once draining had begun, so read by the server after it: each answer must tell the client to close.
  const afterDelay = answered.filter((outcome) => outcome.sentAt > drainedAt);
  t.true(afterDelay.length > 0, 'load went on past the delay');
  t.true(afterDelay.every((outcome) => outcome.closing), 'after the delay every response says Connection: close');
  t.deepEqual(lastCalls.map((outcome) => (outcome.kind === 'answered' ? `${String(outcome.status)} closing=${String(outcome.closing)}` : outcome.code)), Array.from({ length: 4 }, () => '200 closing=true'), 'idle clients sending as draining began');
  t.deepEqual(abandonedNicks.map((nick) => server.logs.find((line) => line.requestId === nick)?.status), abandonedNicks.map(() => 201), 'sign-ups whose clients left were stored');
  t.false(server.logs.some((line) => line.level === 'error'), 'no request failed on the server (e.g. MongoDB closed under a handler)');
  t.is(exit.code, 0);
});
