// Loopback networking helpers shared by the process, image and benchmark code.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';

/** A TCP port that was free a moment ago, for servers that must be told their port up front. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export interface SlowPost {
  /** Sends the second half of the body. */
  finish(): void;
  /** The raw HTTP response, once the server has answered and closed. */
  readonly response: Promise<string>;
}

/**
 * A POST whose headers and first half of the body are sent at once and the rest only on finish(), so the
 * request stays in flight for as long as the test wants (e.g. across a SIGTERM).
 */
export async function startSlowPost(port: number, path: string, body: string): Promise<SlowPost> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const response = new Promise<string>((resolve, reject) => {
    socket.on('close', () => { resolve(Buffer.concat(chunks).toString('utf8')); });
    socket.on('error', reject);
  });
  socket.write(
    [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${String(port)}`, 'Content-Type: application/json', `Content-Length: ${String(bytes.length)}`, 'Connection: close', '', ''].join('\r\n'),
  );
  socket.write(bytes.subarray(0, half));
  return { finish: () => socket.write(bytes.subarray(half)), response };
}
