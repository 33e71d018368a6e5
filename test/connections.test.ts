// Keep-alive connections after an early rejection: a request answered before its body was read (413,
// 415, 400) must leave the connection usable, or close it cleanly after a complete response saying so.
// A client that sends `Expect: 100-continue` is asked for its body only once the rest is accepted.
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { signUp, validPlayer } from './helpers/players.ts';
import { RawConnection, type RawResponse } from './helpers/raw-http.ts';

let api: TestApp;
let port: number;

test.before(async () => {
  api = await startTestApp('connections', { env: { BODY_LIMIT_BYTES: '2048' } });
  port = Number(new URL(api.url).port);
});

test.after.always(async () => {
  await api.close();
});

/** Far larger than the limit and than the socket buffers, so the server cannot have read it all. */
const hugeBody = Buffer.from(JSON.stringify(validPlayer('huge_body', { bio: 'x'.repeat(4 * 1024 * 1024) })));

type Framing = 'chunked' | 'content-length';

/**
 * Sends `method path` with a huge JSON body while reading, then asks for /status on the same connection.
 * Returns the first response and what became of the connection.
 */
async function rejectThenReuse(method: string, path: string, framing: Framing, contentType = 'application/json') {
  const connection = await RawConnection.open(port);
  try {
    const framingHeader = framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${String(hugeBody.length)}`;
    await connection.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\n${framingHeader}\r\n\r\n`);
    const sending = framing === 'chunked' ? connection.writeChunked(hugeBody) : connection.write(hugeBody);
    const first = await connection.response();
    await sending;
    let next: RawResponse | undefined;
    if (first?.headers.connection !== 'close') {
      await connection.write('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      next = await connection.response();
    } else {
      await connection.closed;
    }
    return { first, next, error: connection.error?.code, endedByServer: connection.endedByServer };
  } finally {
    connection.destroy();
  }
}

const cases: [string, string, string, number][] = [
  ['over the body limit', 'POST', '/v1/players', 413],
  ['with an invalid nick in the path', 'PUT', '/v1/players/no%20spaces', 400],
  ['with a type that is not JSON', 'POST', '/v1/players', 415],
];

for (const [name, method, path, status] of cases) {
  for (const framing of ['chunked', 'content-length'] as const) {
    test(`a request ${name} (${framing}) gets its ${String(status)}, and its connection is reused or closed cleanly`, async (t) => {
      const outcome = await rejectThenReuse(method, path, framing, status === 415 ? 'text/plain' : 'application/json');
      t.is(outcome.first?.status, status);
      t.is(outcome.first?.headers['content-type'], 'application/problem+json');
      t.is(outcome.first?.body.length, Number(outcome.first?.headers['content-length']), 'the whole response arrived');
      if (outcome.first?.headers.connection === 'close') {
        t.true(outcome.endedByServer, 'the server closed with a FIN');
        t.is(outcome.error, undefined, 'no reset');
      } else {
        t.is(outcome.next?.status, 200, 'the next request on the connection is answered');
      }
    });
  }
}

test('a small rejected body that was read in full keeps the connection alive', async (t) => {
  const connection = await RawConnection.open(port);
  t.teardown(() => { connection.destroy(); });
  const body = '{"nick": "x",';
  await connection.write(`POST /v1/players HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${String(body.length)}\r\n\r\n${body}`);
  t.is((await connection.response())?.status, 400);
  await connection.write('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  t.is((await connection.response())?.status, 200);
});

test('Expect: 100-continue: the body is asked for only once the token, access, media type and declared size are accepted', async (t) => {
  const { token } = await signUp(api.url, 'continue_writer');
  const body = JSON.stringify({ bio: 'sent once asked' });
  const head = (headers: string, length = Buffer.byteLength(body)) =>
    `PATCH /v1/players/continue_writer HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: ${String(length)}\r\n${headers}\r\n`;
  const mergePatch = 'Content-Type: application/merge-patch+json\r\n';

  const accepted = await RawConnection.open(port);
  t.teardown(() => { accepted.destroy(); });
  await accepted.write(head(`${mergePatch}Authorization: Bearer ${token}\r\n`));
  t.is((await accepted.response())?.status, 100, 'asked for the body');
  await accepted.write(body);
  const written = await accepted.response();
  t.is(written?.status, 200);
  t.regex(written?.body ?? '', /sent once asked/);

  const refusals: [string, string, number, number?][] = [
    ['no token', mergePatch, 401],
    ['another player\'s token', `${mergePatch}Authorization: Bearer ${(await signUp(api.url, 'continue_other')).token}\r\n`, 403],
    ['an unsupported media type', `Content-Type: text/plain\r\nAuthorization: Bearer ${token}\r\n`, 415],
    ['a declared size over the limit', `${mergePatch}Authorization: Bearer ${token}\r\n`, 413, 4096],
  ];
  for (const [what, headers, status, length] of refusals) {
    const refused = await RawConnection.open(port);
    t.teardown(() => { refused.destroy(); });
    await refused.write(head(headers, length));
    const answer = await refused.response();
    t.is(answer?.status, status, `${what}: refused without asking for the body`);
    t.is(answer?.headers.connection, 'close', what);
    await refused.closed;
    t.false(refused.error !== undefined, `${what}: closed cleanly`);
  }
});

test('clients that trickle their headers or body are disconnected within the configured timeouts; connections are capped', async (t) => {
  const limited = await startTestApp('connections_timeouts', {
    env: { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_MAX_CONNECTIONS: '3' },
  });
  t.teardown(() => limited.close());
  const limitedPort = Number(new URL(limited.url).port);

  /**
   * Sends `head` at once, then one byte of `trickle` every 100 ms; resolves with when the server closed.
   * Upper bounds are loose (Node checks its timeouts every 500 ms, on a loop shared with the other tests),
   * yet well under the defaults (10 s and 30 s).
   */
  async function trickle(head: string, trickled: string): Promise<{ closedAfterMs: number; response: RawResponse | undefined }> {
    const connection = await RawConnection.open(limitedPort);
    const started = Date.now();
    await connection.write(head);
    const timer = setInterval(() => { void connection.write(trickled); }, 100);
    try {
      const response = await connection.response();
      await connection.closed;
      return { closedAfterMs: Date.now() - started, response };
    } finally {
      clearInterval(timer);
      connection.destroy();
    }
  }

  const slowHeaders = await trickle('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X');
  t.true(slowHeaders.closedAfterMs >= 1000 && slowHeaders.closedAfterMs < 6000, `headers: closed after ${String(slowHeaders.closedAfterMs)} ms`);
  t.is(slowHeaders.response?.status, 408);
  t.is(slowHeaders.response?.headers['content-type'], 'application/problem+json');

  const slowBody = await trickle('POST /v1/players HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n', ' ');
  t.true(slowBody.closedAfterMs >= 2000 && slowBody.closedAfterMs < 8000, `body: closed after ${String(slowBody.closedAfterMs)} ms`);
  t.is(slowBody.response?.status, 408);
  // The handler reading that body is cut short too: it is logged and counted with the status sent.
  const logged = () => limited.logs.filter((line) => line.msg === 'request' && line.route === '/v1/players').map((line) => line.status);
  for (const deadline = Date.now() + 2000; logged().length === 0 && Date.now() < deadline; ) await sleep(20);
  t.deepEqual(logged(), [408]);
  t.regex(await (await fetch(`${limited.url}/metrics`)).text(), /^http_request_duration_seconds_count\{method="POST",route="\/v1\/players",status="408"\} 1$/m);

  const open = await Promise.all([1, 2, 3].map(() => RawConnection.open(limitedPort)));
  const extra = await RawConnection.open(limitedPort);
  t.teardown(() => { for (const connection of [...open, extra]) connection.destroy(); });
  await extra.write('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  t.is(await extra.response(), undefined, 'a connection over the cap is closed unanswered');
  await open[0]?.write('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  t.is((await open[0]?.response())?.status, 200, 'connections under the cap are served');
  for (const connection of [...open, extra]) connection.destroy();
  await sleep(50);
  t.regex(await (await fetch(`${limited.url}/metrics`)).text(), /^http_connections_dropped_total [1-9]\d*$/m, 'dropped connections are counted');
});

test.serial('requests the HTTP parser refuses before the app sees them get their status as a problem, and the connection closes', async (t) => {
  const cases: [request: string, status: number][] = [
    ['FOO /v1/players HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 400],
    ['GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n', 400],
    [`GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'x'.repeat(20_000)}\r\n\r\n`, 431],
  ];
  for (const [request, status] of cases) {
    const connection = await RawConnection.open(port);
    t.teardown(() => { connection.destroy(); });
    await connection.write(request);
    const response = await connection.response();
    t.is(response?.status, status, request.slice(0, 40));
    t.is(response?.headers['content-type'], 'application/problem+json');
    t.is(response?.headers['x-content-type-options'], 'nosniff');
    t.is(response?.headers.connection, 'close');
    t.like(JSON.parse(response?.body ?? '{}'), { type: 'about:blank', status });
    await connection.closed;
  }
  const after = await RawConnection.open(port);
  t.teardown(() => { after.destroy(); });
  await after.write('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  t.is((await after.response())?.status, 200, 'the server serves on');
  // Never seen by the app, yet logged and counted: one line and one count each.
  t.deepEqual(api.logs.filter((line) => line.msg === 'request refused').map((line) => [line.status, line.reason]), [
    [400, 'HPE_INVALID_METHOD'],
    [400, 'HPE_INVALID_CONTENT_LENGTH'],
    [431, 'HPE_HEADER_OVERFLOW'],
  ]);
  const metrics = await (await fetch(`${api.url}/metrics`)).text();
  t.regex(metrics, /^http_requests_refused_total\{status="400"\} 2$/m);
  t.regex(metrics, /^http_requests_refused_total\{status="431"\} 1$/m);
});

test('heads Node would answer bare or serve as they are (no Host, two Host lines, an unknown Expect) get a problem from the app', async (t) => {
  const cases: [what: string, request: string, status: number][] = [
    ['no Host', 'GET /status HTTP/1.1\r\n\r\n', 400],
    ['two Host lines', 'GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nhost: elsewhere.example\r\n\r\n', 400],
    ['an expectation other than 100-continue', 'POST /v1/players HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: something-else\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', 417],
  ];
  for (const [what, request, status] of cases) {
    const connection = await RawConnection.open(port);
    t.teardown(() => { connection.destroy(); });
    await connection.write(request);
    const response = await connection.response();
    t.is(response?.status, status, what);
    t.is(response?.headers['content-type'], 'application/problem+json', what);
    t.is(response?.headers['x-content-type-options'], 'nosniff', what);
    t.truthy(response?.headers['x-request-id'], `${what}: answered by the app, with a request id`);
    t.like(JSON.parse(response?.body ?? '{}'), { status }, what);
  }
  t.true(api.logs.some((line) => line.msg === 'request' && line.status === 417), 'logged as any request');
});

test('CONNECT gets 405 as a problem, with an empty Allow (a tunnel\'s target allows no method here), logged and counted, and the connection closes', async (t) => {
  const connection = await RawConnection.open(port);
  t.teardown(() => { connection.destroy(); });
  await connection.write('CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
  const response = await connection.response();
  t.is(response?.status, 405);
  t.is(response?.headers.allow, '');
  t.is(response?.headers['content-type'], 'application/problem+json');
  t.is(response?.headers.connection, 'close');
  await connection.closed;
  t.true(api.logs.some((line) => line.msg === 'request refused' && line.status === 405 && line.reason === 'CONNECT'));
  t.regex(await (await fetch(`${api.url}/metrics`)).text(), /^http_requests_refused_total\{status="405"\} 1$/m);
});

test.serial('a malformed request pipelined behind a complete one is refused, logged and counted too', async (t) => {
  const refused = async () => /^http_requests_refused_total\{status="400"\} (\d+)$/m.exec(await (await fetch(`${api.url}/metrics`)).text())?.[1] ?? '0';
  const before = Number(await refused());
  const logged = api.logs.filter((line) => line.msg === 'request refused').length;
  const connection = await RawConnection.open(port);
  t.teardown(() => { connection.destroy(); });
  await connection.write('GET /v1/players?limit=5 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nBROKEN\r\n\r\n');
  await connection.closed;
  t.is(Number(await refused()), before + 1);
  t.is(api.logs.filter((line) => line.msg === 'request refused').length, logged + 1);
});

test.serial('a pipelined request whose body is cut short by a refusal is reported once, by its handler', async (t) => {
  const refused = async () => Number(/^http_requests_refused_total\{status="400"\} (\d+)$/m.exec(await (await fetch(`${api.url}/metrics`)).text())?.[1] ?? '0');
  const handled = () => api.logs.filter((line) => line.msg === 'request' && line.method === 'POST' && line.status === 400).length;
  const [refusedBefore, handledBefore] = [await refused(), handled()];
  const connection = await RawConnection.open(port);
  t.teardown(() => { connection.destroy(); });
  // A login first: its password hash keeps it in flight while the next request arrives behind it.
  const login = JSON.stringify({ nick: 'nobody_here', password: 'not-the-password' });
  await connection.write(`POST /v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${String(login.length)}\r\n\r\n${login}`);
  await connection.write('POST /v1/players HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n');
  await sleep(30);
  await connection.write('ZZZ\r\n');
  await connection.closed;
  for (const deadline = Date.now() + 2000; handled() === handledBefore && Date.now() < deadline; ) await sleep(20);
  t.is(await refused() - refusedBefore + handled() - handledBefore, 1);
});
