// A TCP proxy in front of the MongoDB-wire server that a test can open and close, to simulate MongoDB
// being down at boot or going away while the service runs, or hold requests, to catch them in flight.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  readonly #targetHost: string;
  readonly #targetPort: number;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;
  /** While holding: what clients sent, not yet passed on. */
  #held: { upstream: Socket; chunk: Buffer }[] | undefined;

  constructor(targetHost: string, targetPort: number) {
    this.#targetHost = targetHost;
    this.#targetPort = targetPort;
  }

  /** The port the proxy listens on (stable across close/open). */
  get port(): number {
    return this.#port;
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
      client.on('data', (chunk: Buffer) => {
        if (this.#held === undefined) upstream.write(chunk);
        else this.#held.push({ upstream, chunk });
      });
      upstream.pipe(client);
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

  /** Stops listening and cuts every open connection, as a crashed server would. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  }
}

/** host and port of a mongodb:// URI's first host. */
export function firstHost(uri: string): { host: string; port: number } {
  const match = /^mongodb:\/\/(?:[^@/]*@)?([^:/,]+)(?::(\d+))?/.exec(uri);
  if (match === null) throw new Error(`cannot proxy ${uri}: only mongodb:// URIs are supported`);
  return { host: match[1] ?? '127.0.0.1', port: Number(match[2] ?? 27017) };
}
