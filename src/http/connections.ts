// Keep-alive connections handled so that no request the server has started to read goes unanswered:
// - a response sent before its request body was read (413, 415, 400...) says `Connection: close`, and the
//   connection is closed without a reset (see lingeringClose);
// - a request Node's HTTP layer refuses (malformed, headers too large, too slow to arrive), and a CONNECT
//   (which Node would close unanswered), gets its status as a problem, like every other error, instead
//   of Node's bare status line; as Node does, the connection is then destroyed at once (no lingering
//   close: the request itself cannot be trusted). It is reported (logged and counted) once: here, or by
//   the handler whose body it cut short;
// - once shutdown begins draining, every response says `Connection: close`, so clients stop reusing
//   connections that are about to close, and handlers are counted so MongoDB closes after the last one;
// - a request still being handled when the shutdown timeout ends is answered 503 before its connection is
//   cut (abandon), rather than not at all.
import { STATUS_CODES, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Context } from 'koa';
import { resolvesWithin } from '../deadline.ts';
import { bareProblem } from './problem.ts';
import { securityHeaders } from './security-headers.ts';

/** How long a closing connection keeps discarding what the client still sends. */
const lingerMs = 2000;

/** Node's parser errors and what they stand for (the statuses Node itself would answer). */
const parserRefusals: Readonly<Record<string, { status: number; detail: string }>> = {
  HPE_HEADER_OVERFLOW: { status: 431, detail: 'The request line and headers are larger than the server accepts.' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, detail: 'The chunk extensions of the request body are larger than the server accepts.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, detail: 'The request did not arrive in time.' },
};
const malformed = { status: 400, detail: 'The request is not valid HTTP/1.1.' };
const securityHeaderLines = Object.entries(securityHeaders).map(([name, value]) => `${name}: ${value}\r\n`).join('');

/** Responses `abandon` answered: their handlers, still running, must not answer again, and report a 503. */
const abandonedResponses = new WeakSet<ServerResponse>();

export const wasAbandoned = (response: ServerResponse): boolean => abandonedResponses.has(response);

/** What an abandoned response keeps of the headers its handler had set so far (lower case, as Node lists them). */
const keptWhenAbandoned = new Set(['x-request-id', ...Object.keys(securityHeaders).map((name) => name.toLowerCase())]);
/** Safe methods may simply be sent again; a write may have landed before MongoDB closes under it. */
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
const abandonedRead = bareProblem(503, 'The server is shutting down, and this request did not finish in time; retry it.');
const abandonedWrite = bareProblem(503, 'The server is shutting down, and this request did not finish in time: it may or may not have taken effect, so check before sending it again.');

/** The status `refuse` answered on a socket, so a handler whose body it cut short reports that, not its own. */
const refusedStatuses = new WeakMap<Socket, number>();

/** The status the connection of `request` got from Node's HTTP layer (a 408 past the request timeout...). */
export function refusedStatus(request: IncomingMessage): number | undefined {
  return refusedStatuses.get(request.socket);
}

/** A problem written straight to the socket, for requests that never reach the app; the connection closes. */
function answerBare(socket: Socket, status: number, detail: string, headerLines = ''): void {
  const body = bareProblem(status, detail);
  const head = `HTTP/1.1 ${String(status)} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/problem+json\r\nContent-Length: ${String(Buffer.byteLength(body))}\r\n${securityHeaderLines}${headerLines}Connection: close\r\n\r\n`;
  socket.write(head + body);
}

/** A request whose body was not read to the end closes its connection after the response. */
export function closeIfBodyUnread(ctx: Context): void {
  if (!ctx.req.complete) ctx.set('Connection', 'close');
}

/** Told of each request `refuse` answers that no handler will report: its status and Node's error code. */
export type RefusalReport = (status: number, reason: string) => void;

export class ConnectionDrain {
  readonly #report: RefusalReport;
  #draining = false;
  #handlers = 0;
  #whenIdle: (() => void)[] = [];
  readonly #pending = new Set<ServerResponse>();
  readonly #lingering = new WeakSet<Socket>();

  constructor(report: RefusalReport) {
    this.#report = report;
  }

  /** Wraps the app's handler; `handle` settles once the app has finished with the request. */
  listener(handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>): RequestListener {
    return (request, response) => {
      // A request behind a `Connection: close` response, or on a connection the server has already ended
      // (shutdown closes connections that look idle), can get no answer: the client sees the connection
      // close without one and retries it elsewhere.
      if (this.#lingering.has(request.socket) || request.socket.writableEnded) {
        request.socket.destroy();
        return;
      }
      if (this.#draining) response.setHeader('Connection', 'close');
      this.#pending.add(response);
      this.#handlers += 1;
      void handle(request, response).then(() => { this.#handled(request, response); });
    };
  }

  // Listeners are added only when needed, not per request: by the time the app is done, Koa has written
  // the whole response (no route streams its body), so only an unread request body needs to wait.
  #handled(request: IncomingMessage, response: ServerResponse): void {
    this.#pending.delete(response);
    // A client still sending its body would get a reset that can discard the response it has not read.
    if (!request.complete) {
      if (response.writableFinished) this.#linger(request);
      else response.once('finish', () => { if (!request.complete) this.#linger(request); });
    }
    this.#handlers -= 1;
    if (this.#handlers === 0) for (const resolve of this.#whenIdle.splice(0)) resolve();
  }

  /** The server's `clientError` listener; as Node's own, it answers only if no response has begun on the connection. */
  readonly refuse = (error: NodeJS.ErrnoException, socket: Socket): void => {
    // By request: a pipelined request's response waits unattached to the socket (socket null) until its turn.
    const handled = [...this.#pending].filter((response) => response.req.socket === socket);
    const responding = handled.some((response) => response.headersSent);
    // The handler of a request whose body this cuts short reports it (see refusedStatus); a pipelined request
    // behind a complete one has no handler yet, and is reported here.
    const cutShort = handled.some((response) => !response.req.complete);
    if (socket.writable && !responding && error.code !== 'ECONNRESET') {
      const { status, detail } = parserRefusals[error.code ?? ''] ?? malformed;
      refusedStatuses.set(socket, status);
      answerBare(socket, status, detail);
      if (!cutShort) this.#report(status, error.code ?? 'unknown');
    }
    socket.destroy();
  };

  /**
   * The server's `connect` listener (Node would close without a word). A tunnel's target (host:port) is no
   * resource of this API: it allows no method, which RFC 9110 §10.2.1 writes as an empty Allow.
   */
  readonly refuseTunnel = (_request: IncomingMessage, socket: Socket): void => {
    // Pipelined behind a request still being answered, a 405 would be read as that request's answer.
    const answering = [...this.#pending].some((response) => response.req.socket === socket);
    if (socket.writable && !answering) answerBare(socket, 405, 'CONNECT opens tunnels, which this server does not; send requests to it directly.', 'Allow: \r\n');
    this.#report(405, 'CONNECT');
    socket.destroy();
  };

  /** From now on every response, including those of requests in flight, asks the client to close. */
  drain(): void {
    this.#draining = true;
    for (const response of this.#pending) if (!response.headersSent) response.setHeader('Connection', 'close');
  }

  /**
   * The shutdown timeout is ending: every request still being handled (waiting on a stalled MongoDB, or
   * on a body still arriving) gets a 503 now, since its connection is about to be cut. Returns how many.
   */
  abandon(): number {
    let abandoned = 0;
    for (const response of this.#pending) {
      // No socket yet: pipelined behind another request, it can get no answer once that one says Connection: close.
      if (response.headersSent || response.destroyed || response.socket === null) continue;
      abandonedResponses.add(response);
      // Headers set for the answer the handler meant to give (an ETag, a Location) do not describe this one.
      for (const name of response.getHeaderNames()) if (!keptWhenAbandoned.has(name)) response.removeHeader(name);
      const safe = safeMethods.has(response.req.method ?? '');
      const body = safe ? abandonedRead : abandonedWrite;
      // Content-Length set here: after writeHead, Node would delimit the body by closing the connection.
      response
        .writeHead(503, { 'Content-Type': 'application/problem+json', 'Content-Length': Buffer.byteLength(body), Connection: 'close', ...(safe ? { 'Retry-After': '1' } : {}) })
        .end(body);
      // A client still sending its body reads the 503 rather than a reset (see #linger).
      if (!response.req.complete) response.once('finish', () => { this.#linger(response.req); });
      abandoned += 1;
    }
    return abandoned;
  }

  /** Resolves once no handler runs any more, or after `timeoutMs`; true when idle. */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.#handlers === 0) return true;
    return resolvesWithin(new Promise<void>((resolve) => this.#whenIdle.push(resolve)), timeoutMs);
  }

  /**
   * RFC 9112 §9.6: closing a connection outright while the client is still sending makes the kernel answer
   * with a reset, which can discard the response before the client has read it. So: half-close after the
   * response, keep discarding what arrives, and close when the client does or after lingerMs.
   */
  #linger(request: IncomingMessage): void {
    const { socket } = request;
    if (this.#lingering.has(socket)) return;
    this.#lingering.add(socket);
    // Node's own close-after-response (destroySoon) would destroy the socket as soon as its output is flushed.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the very function destroySoon registered
    socket.removeListener('finish', socket.destroy);
    if (!socket.writableEnded) socket.end();
    const timer = setTimeout(() => socket.destroy(), lingerMs).unref();
    socket.once('close', () => { clearTimeout(timer); });
    socket.once('end', () => socket.destroy());
    // A body parser that gave up (over the limit) leaves the request paused, which stops the socket too.
    request.resume();
  }
}
