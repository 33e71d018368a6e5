// HTTP/1.1 spoken by hand over one TCP connection, for what fetch hides: keep-alive reuse after an early
// rejection, chunked bodies, and how the server closes the connection.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** One keep-alive connection; responses are read as they complete (Content-Length framed). */
export class RawConnection {
  readonly #socket: Socket;
  #received = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  /** The first socket error (e.g. ECONNRESET), if any. */
  error: NodeJS.ErrnoException | undefined;
  /** Whether the server ended the connection with a FIN. */
  endedByServer = false;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#wake();
    });
    socket.on('error', (error) => {
      this.error ??= error;
      this.#wake();
    });
    socket.on('end', () => {
      this.endedByServer = true;
      this.#wake();
    });
    // Not events.once: it rejects on 'error', and a reset is an outcome the tests look at, not a failure.
    this.closed = new Promise((resolve) => socket.once('close', () => { resolve(); }));
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  /** Writes, waiting for the socket to drain; stops quietly once the connection is gone. */
  async write(data: string | Buffer): Promise<boolean> {
    if (this.#socket.destroyed || this.#socket.writableEnded) return false;
    if (this.#socket.write(data)) return true;
    await Promise.race([new Promise((resolve) => this.#socket.once('drain', resolve)), this.closed]);
    return !this.#socket.destroyed;
  }

  /** Sends `body` in chunked transfer coding, `chunkSize` bytes a chunk. */
  async writeChunked(body: Buffer, chunkSize = 16 * 1024): Promise<void> {
    for (let offset = 0; offset < body.length; offset += chunkSize) {
      const chunk = body.subarray(offset, offset + chunkSize);
      if (!(await this.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])))) return;
    }
    await this.write('0\r\n\r\n');
  }

  /** The next complete response, or undefined if the connection ends first. */
  async response(): Promise<RawResponse | undefined> {
    for (;;) {
      const parsed = this.#parse();
      if (parsed !== undefined) return parsed;
      if (this.endedByServer || this.error !== undefined || this.#socket.destroyed) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  #parse(): RawResponse | undefined {
    const headEnd = this.#received.indexOf('\r\n\r\n');
    if (headEnd < 0) return undefined;
    const [statusLine = '', ...lines] = this.#received.subarray(0, headEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      headers[name] = headers[name] === undefined ? line.slice(colon + 1).trim() : `${headers[name]}, ${line.slice(colon + 1).trim()}`;
    }
    const length = Number(headers['content-length'] ?? 0);
    const bodyStart = headEnd + 4;
    if (this.#received.length < bodyStart + length) return undefined;
    const body = this.#received.subarray(bodyStart, bodyStart + length).toString('utf8');
    this.#received = this.#received.subarray(bodyStart + length);
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }
}
