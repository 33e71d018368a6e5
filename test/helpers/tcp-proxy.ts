// A TCP proxy in front of the MongoDB-wire server that a test can open and close, to simulate MongoDB
// being down at boot or going away while the service runs, hold requests, to catch them in flight, or
// cut a connection just before the answer to a command that has run, as a network failure at the worst
// moment would. It passes whole wire-protocol messages (a 16-byte header that starts with the length).
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { ExecutionContext } from 'ava';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { serverUri } from './mongo.ts';

export class TcpProxy {
  readonly #targetHost: string;
  readonly #targetPort: number;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;
  /** While holding: what clients sent, not yet passed on. */
  #held: { upstream: Socket; chunk: Buffer }[] | undefined;
  /** The next command sent that this matches has its answer lost. */
  #loseAnswer: { matches: (command: Buffer) => boolean; lost: () => void } | undefined;
  /** Holding starts with the next command sent that this matches. */
  #holdFrom: { matches: (command: Buffer) => boolean; holding: () => void } | undefined;

  constructor(targetHost: string, targetPort: number) {
    this.#targetHost = targetHost;
    this.#targetPort = targetPort;
  }

  /** The port the proxy listens on (stable across close/open). */
  get port(): number {
    return this.#port;
  }

  /** A connection string for `database` through the proxy. */
  uri(database: string): string {
    return `mongodb://127.0.0.1:${String(this.#port)}/${database}`;
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.#targetPort, this.#targetHost);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      // Request ids, on this connection, of commands whose answer is to be lost.
      const doomed = new Map<number, () => void>();
      client.on('data', wireMessages((message) => {
        const lose = this.#loseAnswer;
        if (lose?.matches(message) === true) {
          this.#loseAnswer = undefined;
          doomed.set(message.readInt32LE(4), lose.lost);
        }
        const holdFrom = this.#holdFrom;
        if (holdFrom?.matches(message) === true) {
          this.#holdFrom = undefined;
          this.hold();
          holdFrom.holding();
        }
        if (this.#held === undefined) upstream.write(message);
        else this.#held.push({ upstream, chunk: message });
      }));
      upstream.on('data', wireMessages((message) => {
        const lost = doomed.get(message.readInt32LE(8));
        if (lost === undefined) {
          client.write(message);
          return;
        }
        client.destroy();
        upstream.destroy();
        lost();
      }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        resolve();
      });
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') this.#port = address.port;
    this.#server = server;
  }

  /** From now on, keeps what clients send to itself: their requests wait, as on a stalled server. */
  hold(): void {
    this.#held ??= [];
  }

  /** As hold(), from the next command sent that `matches` on, that one included; resolves once it is held. */
  holdFrom(matches: (command: Buffer) => boolean): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<undefined>();
    this.#holdFrom = { matches, holding: () => { resolve(undefined); } };
    return promise;
  }

  /** Bytes held back since hold(). */
  get heldBytes(): number {
    return (this.#held ?? []).reduce((total, { chunk }) => total + chunk.length, 0);
  }

  /** Passes on everything held, in order, and stops holding. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const { upstream, chunk } of held) upstream.write(chunk);
  }

  /**
   * The next command sent whose message `matches` runs on the server, but its connection is cut before
   * the answer reaches the client. Resolves once that has happened.
   */
  loseAnswerTo(matches: (command: Buffer) => boolean): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<undefined>();
    this.#loseAnswer = { matches, lost: () => { resolve(undefined); } };
    return promise;
  }

  /** Stops listening and cuts every open connection, as a crashed server would. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  }
}

/** A 'data' listener that calls `onMessage` with each whole wire-protocol message, however it arrived. */
function wireMessages(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
      const length = pending.readInt32LE(0);
      onMessage(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  };
}

/** host and port of a mongodb:// URI's first host. */
export function firstHost(uri: string): { host: string; port: number } {
  const match = /^mongodb:\/\/(?:[^@/]*@)?([^:/,]+)(?::(\d+))?/.exec(uri);
  if (match === null) throw new Error(`cannot proxy ${uri}: only mongodb:// URIs are supported`);
  return { host: match[1] ?? '127.0.0.1', port: Number(match[2] ?? 27017) };
}

/** A proxy in front of the test server; closed when the test ends. */
export async function proxyToTestServer(t: ExecutionContext): Promise<TcpProxy> {
  const target = firstHost(await serverUri());
  const proxy = new TcpProxy(target.host, target.port);
  await proxy.open();
  t.teardown(() => proxy.close());
  return proxy;
}

/** A proxy in front of the test server, and a client of `databaseName` through it; closed when the test ends. */
export async function clientThroughProxy(t: ExecutionContext, databaseName: string, options: MongoClientOptions = {}): Promise<{ proxy: TcpProxy; client: MongoClient }> {
  const proxy = await proxyToTestServer(t);
  const client = new MongoClient(proxy.uri(databaseName), options);
  t.teardown(() => client.close());
  return { proxy, client };
}
