// The built server as a real process: graceful shutdown on signals, MongoDB down at boot and during
// operation, and one-line configuration errors.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { MongoClient } from 'mongodb';
import { indexNames } from '../src/db/indexes.ts';
import { playerIndexes } from '../src/players/repository.ts';
import { waitForStatus } from './helpers/app.ts';
import { databaseUri, serverUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { send, validPlayer, type ProblemBody } from './helpers/players.ts';
import { freePort, startSlowPost } from './helpers/net.ts';
import { RawConnection } from './helpers/raw-http.ts';
import { loggedAt, runServerToExit, startServerProcess, type ServerProcess } from './helpers/server-process.ts';
import { firstHost, TcpProxy } from './helpers/tcp-proxy.ts';

const shutdownDelayMs = 1500;
// Room for a slow sign-up's hash and writes after the listener closes, on a loaded machine.
const shutdownTimeoutMs = 8000;

async function startServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServerProcess({
    MONGODB_URI: await databaseUri(uniqueDatabaseName('process')),
    SHUTDOWN_DELAY_MS: String(shutdownDelayMs),
    SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    MONGODB_SERVER_SELECTION_TIMEOUT_MS: '1000',
    ...env,
  });
  return server;
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => { resolve(false); });
  });

test('SIGTERM: readiness fails at once, in-flight requests finish, new connections are refused, exit 0', async (t) => {
  const server = await startServer();
  await waitForStatus(`${server.url}/readyz`, 200);
  const slow = await startSlowPost(server.port, '/v1/players', JSON.stringify(validPlayer('slow_sender')));
  await sleep(200);

  const signalledAt = Date.now();
  server.child.kill('SIGTERM');
  await loggedAt(server, 'shutdown started');
  t.is((await fetch(`${server.url}/readyz`)).status, 503, 'readiness fails during the delay');
  t.is((await fetch(`${server.url}/healthz`)).status, 200, 'liveness holds: the process still serves');
  t.is((await send(server.url, 'GET', '/status')).status, 200, 'still serving during the delay');

  // The delay, then half a second of responses saying Connection: close, then the listener closes.
  const closedAt = await loggedAt(server, 'no longer accepting connections');
  t.true(closedAt - signalledAt >= shutdownDelayMs, 'the listener closes after the delay');
  const refusing = Date.now() + 2000;
  while ((await canConnect(server.port)) && Date.now() < refusing) await sleep(50);
  t.false(await canConnect(server.port), 'no new connections after the delay');
  slow.finish();
  t.regex(await slow.response, /^HTTP\/1\.1 201 /, 'the in-flight request completed');

  const exit = await server.exited;
  t.is(exit.code, 0);
  t.true(exit.at - signalledAt < shutdownDelayMs + shutdownTimeoutMs, `exited after ${String(exit.at - signalledAt)} ms`);
  t.truthy(server.logs.find((line) => line.msg === 'shutdown complete'));
});

test('a request still waiting on a stalled MongoDB at the shutdown timeout gets a 503, is logged as one, and the process exits 0 without waiting on MongoDB', async (t) => {
  const target = firstHost(await serverUri());
  const proxy = new TcpProxy(target.host, target.port);
  await proxy.open();
  t.teardown(() => proxy.close());
  const timeoutMs = 2000;
  const server = await startServer({ MONGODB_URI: proxy.uri(uniqueDatabaseName('stalled')), SHUTDOWN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: String(timeoutMs) });
  t.teardown(() => server.child.kill('SIGKILL'));
  await waitForStatus(`${server.url}/readyz`, 200, 30_000);

  proxy.hold();
  const stalled = send(server.url, 'GET', '/v1/players/waiting', { headers: { 'X-Request-Id': 'stalled-1' } });
  while (proxy.heldBytes === 0) await sleep(10);
  // A write may land after its answer, as MongoDB closes: the client is told to check, not to retry.
  const stalledWrite = send(server.url, 'POST', '/v1/players', { body: validPlayer('late_signup') });
  // A body still arriving; and a request pipelined behind a stalled one, which can get no answer of its own.
  const uploading = await startSlowPost(server.port, '/v1/players', JSON.stringify(validPlayer('slow_upload')));
  const pipelined = await RawConnection.open(server.port);
  t.teardown(() => { pipelined.destroy(); });
  await pipelined.write('GET /v1/players/first HTTP/1.1\r\nHost: localhost\r\n\r\nGET /v1/players/second HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await sleep(200);
  const signalledAt = Date.now();
  server.child.kill('SIGTERM');

  const response = await stalled;
  t.is(response.status, 503);
  t.is(response.headers.get('content-type'), 'application/problem+json');
  t.is(response.headers.get('retry-after'), '1');
  t.is(response.headers.get('connection'), 'close');
  t.is(response.headers.get('x-request-id'), 'stalled-1');
  t.true(Date.now() - signalledAt < timeoutMs + 1000, 'answered at the timeout');
  const write = await stalledWrite;
  t.is(write.status, 503);
  t.is(write.headers.get('retry-after'), null);
  t.regex((write.body as ProblemBody).detail, /may or may not have taken effect/);
  t.regex(await uploading.response, /^HTTP\/1\.1 503 /, 'the upload reads its 503, not a reset');
  t.is((await pipelined.response())?.status, 503);
  t.is(await pipelined.response(), undefined, 'the pipelined request behind it gets no answer');

  const exit = await server.exited;
  t.is(exit.code, 0);
  // The timeout, then at most 2 s waiting for MongoDB to confirm the close, then half a second for handlers,
  // with room for a loaded machine; unbounded, the close alone took 8 s.
  t.true(exit.at - signalledAt < timeoutMs + 2500 + 2000, `exited after ${String(exit.at - signalledAt)} ms`);
  t.like(server.logs.find((line) => line.msg === 'request' && line.requestId === 'stalled-1'), { status: 503 });
  t.false(server.logs.some((line) => line.level === 'error' || line.level === 'fatal'), 'nothing logged as failed: the request was given up, not broken');
  // The stalled GET and POST, the upload and the first pipelined request; not the one queued behind it.
  t.like(server.logs.find((line) => String(line.msg).startsWith('shutdown timeout: answering 503')), { requests: 4 });
  t.truthy(server.logs.find((line) => line.msg === 'shutdown complete'));
});

test('HEALTH_PORT: the probes answer there while every connection PORT allows is taken, and readiness fails there at SIGTERM', async (t) => {
  const healthPort = await freePort();
  const server = await startServer({ HEALTH_PORT: String(healthPort), HTTP_MAX_CONNECTIONS: '2' });
  const health = `http://127.0.0.1:${String(healthPort)}`;
  await waitForStatus(`${health}/readyz`, 200);
  const held = await Promise.all([1, 2].map(() => RawConnection.open(server.port)));
  t.teardown(() => { for (const connection of held) connection.destroy(); });
  for (const connection of held) {
    await connection.write('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    t.is((await connection.response())?.status, 200);
  }
  const over = await RawConnection.open(server.port);
  await over.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  t.is(await over.response(), undefined, 'PORT drops a connection over the cap, probes included');
  for (const path of ['/healthz', '/readyz']) {
    const response = await fetch(`${health}${path}`);
    t.is(response.status, 200, path);
    t.deepEqual(await response.json(), { status: 'ok' });
    t.is(response.headers.get('x-content-type-options'), 'nosniff');
  }
  const elsewhere = await fetch(`${health}/status`);
  t.is(elsewhere.status, 404);
  t.is(elsewhere.headers.get('content-type'), 'application/problem+json');
  const withQuery = await fetch(`${health}/healthz?verbose=1`);
  t.is(withQuery.status, 400);
  t.regex(((await withQuery.json()) as ProblemBody).detail, /takes no query parameters/);
  // What is not HTTP gets the same answer as on PORT, not Node's bare status line.
  const garbage = await RawConnection.open(healthPort);
  await garbage.write('NOT HTTP AT ALL\r\n\r\n');
  const refused = await garbage.response();
  t.is(refused?.status, 400);
  t.is(refused?.headers['content-type'], 'application/problem+json');

  server.child.kill('SIGTERM');
  await loggedAt(server, 'shutdown started');
  t.is((await fetch(`${health}/readyz`)).status, 503, 'readiness fails at once on the health port too');
  t.is((await fetch(`${health}/healthz`)).status, 200);
  for (const connection of held) connection.destroy();
  t.is((await server.exited).code, 0);
  t.false(await canConnect(healthPort), 'the health port closes with the process');
});

test('an idle keep-alive client does not hold the process open', async (t) => {
  const server = await startServer();
  await waitForStatus(`${server.url}/readyz`, 200);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => { agent.destroy(); });
  const status = await new Promise<number | undefined>((resolve, reject) => {
    request(`${server.url}/status`, { agent }, (response) => {
      response.resume();
      response.on('end', () => { resolve(response.statusCode); });
    }).on('error', reject).end();
  });
  t.is(status, 200);
  t.is(Object.values(agent.freeSockets).flat().length, 1, 'the client keeps an idle connection open');

  const signalledAt = Date.now();
  server.child.kill('SIGTERM');
  const exit = await server.exited;
  t.is(exit.code, 0);
  // Far under delay + timeout (9.5 s): the idle socket is closed when the server stops, not waited for.
  t.true(exit.at - signalledAt < shutdownDelayMs + shutdownTimeoutMs / 2, `exited after ${String(exit.at - signalledAt)} ms`);
});

test('SIGINT stops the server cleanly too', async (t) => {
  const server = await startServer({ SHUTDOWN_DELAY_MS: '0' });
  await waitForStatus(`${server.url}/healthz`, 200);
  server.child.kill('SIGINT');
  t.is((await server.exited).code, 0);
});

test('MongoDB down at boot, then up, then down and up again: the service follows without a restart', async (t) => {
  const target = firstHost(await serverUri());
  const proxy = new TcpProxy(target.host, target.port);
  await proxy.open();
  await proxy.close(); // keep the port, refuse connections
  t.teardown(() => proxy.close());
  const server = await startServer({ MONGODB_URI: proxy.uri(uniqueDatabaseName('outage')) });
  t.teardown(() => server.child.kill('SIGKILL'));

  t.is((await fetch(`${server.url}/healthz`)).status, 200, 'alive without MongoDB');
  t.is((await fetch(`${server.url}/readyz`)).status, 503, 'not ready without MongoDB');
  const started = Date.now();
  const down = await send(server.url, 'GET', '/v1/players/anyone');
  t.is(down.status, 503);
  t.is(down.headers.get('content-type'), 'application/problem+json');
  t.true(Date.now() - started < 5000, 'fails fast, not after the driver default of 30 s');

  await proxy.open();
  await waitForStatus(`${server.url}/readyz`, 200, 30_000);
  t.is((await send(server.url, 'POST', '/v1/players', { body: validPlayer('survivor') })).status, 201);

  await proxy.close();
  const outage = await send(server.url, 'GET', '/v1/players/survivor');
  t.is(outage.status, 503);
  t.is((outage.body as ProblemBody).status, 503);
  t.is((await fetch(`${server.url}/readyz`)).status, 503);
  t.is((await fetch(`${server.url}/healthz`)).status, 200);

  await proxy.open();
  await waitForStatus(`${server.url}/readyz`, 200, 30_000);
  t.is((await send(server.url, 'GET', '/v1/players/survivor')).status, 200);
  t.is(server.child.exitCode, null, 'never crashed');
});

test('a restart against the same database turns ready again, and the indexes stay as they were', async (t) => {
  const env = { MONGODB_URI: await databaseUri(uniqueDatabaseName('restart')), SHUTDOWN_DELAY_MS: '0' };
  for (let run = 1; run <= 2; run++) {
    const server = await startServer(env);
    t.teardown(() => server.child.kill('SIGKILL'));
    await waitForStatus(`${server.url}/readyz`, 200, 15_000);
    t.is((await send(server.url, 'POST', '/v1/players', { body: validPlayer(`restarted_${String(run)}`) })).status, 201, `run ${String(run)} writes`);
    server.child.kill('SIGTERM');
    t.is((await server.exited).code, 0);
  }
  const client = new MongoClient(env.MONGODB_URI);
  t.teardown(() => client.close());
  t.deepEqual((await indexNames(client.db().collection('players'))).sort(), ['_id_', ...playerIndexes.map((index) => index.name)].sort());
  await client.db().dropDatabase();
});

test('while MongoDB stays down, each cause of unreadiness is logged once, in one line without a stack', async (t) => {
  const server = await startServer({ MONGODB_URI: 'mongodb://127.0.0.1:9/unready', LOG_LEVEL: 'info' });
  t.teardown(() => server.child.kill('SIGKILL'));
  for (let probe = 0; probe < 5; probe++) t.is((await fetch(`${server.url}/readyz`)).status, 503);
  await sleep(2500); // a few connection attempts of the background retry loop
  server.child.kill('SIGTERM');
  await server.exited;
  const warnings = server.logs.filter((line) => line.level === 'warn');
  t.false(server.output().includes('    at '), 'no stack trace');
  const notReady = warnings.filter((line) => line.msg === 'not ready');
  t.is(notReady.length, 1, JSON.stringify(notReady));
  const retries = warnings.filter((line) => line.msg === 'MongoDB not usable yet; retrying');
  t.is(new Set(retries.map((line) => line.reason)).size, retries.length, 'a retry is logged only when its cause changed');
});

for (const source of ['MONGODB_URI', 'MONGODB_URI_FILE'] as const) {
  test(`credentials in ${source} never appear in the logs`, async (t) => {
    const password = 'Sup3r-s3cret-pw';
    const uri = `mongodb://app:${password}@127.0.0.1:9/creds`;
    let env: Record<string, string> = { MONGODB_URI: uri };
    if (source === 'MONGODB_URI_FILE') {
      const folder = await mkdtemp(join(tmpdir(), 'playerfinder-uri-'));
      t.teardown(() => rm(folder, { recursive: true, force: true }));
      await writeFile(join(folder, 'uri'), `${uri}\n`);
      env = { MONGODB_URI: '', MONGODB_URI_FILE: join(folder, 'uri') }; // empty counts as unset
    }
    const server = await startServer({ ...env, LOG_LEVEL: 'debug' });
    await send(server.url, 'GET', '/v1/players/anyone');
    server.child.kill('SIGTERM');
    await server.exited;
    t.true(server.logs.some((line) => line.mongodb === 'mongodb://***@127.0.0.1:9/creds'));
    t.false(server.output().includes(password));
  });
}

test('a bad setting exits non-zero with one line naming the variable', async (t) => {
  const result = await runServerToExit({ PORT: 'http', MONGODB_URI: 'mongodb://127.0.0.1:9/' });
  t.is(result.code, 1);
  t.regex(result.stderr, /^playerfinder: invalid PORT: .+\n$/);
  t.is(result.stdout, '');
});

test('a port in use, or a HOST that is no local address, exits 1 with one line naming the variable', async (t) => {
  const base = { MONGODB_URI: await databaseUri(uniqueDatabaseName('listen')), AUTH_SECRET: 'k'.repeat(32), MONGODB_SERVER_SELECTION_TIMEOUT_MS: '1000' };
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = String((taken.address() as AddressInfo).port);
  const inUse = await runServerToExit({ ...base, HOST: '127.0.0.1', PORT: port });
  t.is(inUse.code, 1);
  t.is(inUse.stderr, `playerfinder: invalid PORT: cannot listen on 127.0.0.1 port ${port} (EADDRINUSE)\n`);
  const healthInUse = await runServerToExit({ ...base, HOST: '127.0.0.1', PORT: '0', HEALTH_PORT: port });
  t.is(healthInUse.stderr, `playerfinder: invalid HEALTH_PORT: cannot listen on 127.0.0.1 port ${port} (EADDRINUSE)\n`);
  // 192.0.2.0/24 is reserved for documentation (RFC 5737): no machine has it.
  const foreign = await runServerToExit({ ...base, HOST: '192.0.2.1', PORT: '0' });
  t.is(foreign.code, 1);
  t.is(foreign.stderr, 'playerfinder: invalid HOST: cannot listen on 192.0.2.1 port 0 (EADDRNOTAVAIL)\n');
});

test('without AUTH_SECRET the service refuses to start, in one line naming it', async (t) => {
  const result = await runServerToExit({ MONGODB_URI: 'mongodb://127.0.0.1:9/playerfinder' });
  t.is(result.code, 1);
  t.regex(result.stderr, /^playerfinder: invalid AUTH_SECRET: required \(or AUTH_SECRET_FILE\).+\n$/);
  t.is(result.stdout, '');
});

test('with no MongoDB configured and no way to fetch mongod, the service says so in one line and exits 1', async (t) => {
  // An unreachable download URL and empty cache folders make the embedded MongoDB fail the same way anywhere.
  const empty = await mkdtemp(join(tmpdir(), 'playerfinder-embedded-'));
  t.teardown(() => rm(empty, { recursive: true, force: true }));
  const result = await runServerToExit({
    HOME: empty,
    MONGOMS_DOWNLOAD_DIR: empty,
    MONGOMS_DOWNLOAD_URL: 'http://127.0.0.1:9/mongodb.tgz',
    EMBEDDED_MONGODB_DIR: join(empty, 'data'),
  });
  t.is(result.code, 1);
  t.regex(result.stderr, /^playerfinder: embedded MongoDB could not start \(.+\); set MONGODB_URI .+\n$/);
});

for (const source of ['MONGODB_PASSWORD', 'MONGODB_PASSWORD_FILE'] as const) {
  test(`a password from ${source} never appears in the logs, even when authentication fails`, async (t) => {
    const password = `Pw-from-${source}-7f3a9c`;
    const folder = await mkdtemp(join(tmpdir(), 'playerfinder-password-'));
    t.teardown(() => rm(folder, { recursive: true, force: true }));
    const file = join(folder, 'password');
    await writeFile(file, `${password}\n`);
    const target = firstHost(await serverUri());
    const server = await startServer({
      MONGODB_URI: '',
      MONGODB_HOST: `${target.host}:${String(target.port)}`,
      MONGODB_DATABASE: uniqueDatabaseName('password'),
      MONGODB_USERNAME: 'nobody',
      ...(source === 'MONGODB_PASSWORD' ? { MONGODB_PASSWORD: password } : { MONGODB_PASSWORD_FILE: file }),
      LOG_LEVEL: 'trace',
    });
    // Whatever the server makes of these credentials, requests and readiness checks run with them.
    await send(server.url, 'GET', '/v1/players/anyone');
    await fetch(`${server.url}/readyz`);
    server.child.kill('SIGTERM');
    t.is((await server.exited).code, 0);
    t.true(server.logs.length > 0);
    t.false(server.output().includes(password));
    t.false(server.output().includes(password.slice(0, 12)), 'not even a part of it');
  });
}
