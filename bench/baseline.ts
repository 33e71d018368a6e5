// What the two baseline servers (bare-server.ts, framework-server.ts) answer, identically: /status, and
// GET /v1/players/{nick} as exactly the service's MongoDB call (same driver, filter and projection) with
// JSON.stringify of the result. No validation, logging or metrics. Reads MONGODB_URI and PORT; prints
// "listening <port>" once it listens, and closes on SIGTERM.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MongoClient } from 'mongodb';
import { normaliseKey } from '../src/players/keys.ts';
import { projection } from '../src/players/repository.ts';

export interface Answer {
  readonly status: number;
  readonly body: string;
}

const client = new MongoClient(process.env.MONGODB_URI ?? '', { maxPoolSize: 20 });
const players = client.db().collection<{ _id: string }>('players');

export const statusAnswer: Answer = { status: 200, body: JSON.stringify({ status: 'OK' }) };

export async function playerAnswer(nick: string): Promise<Answer> {
  try {
    const document = await players.findOne({ _id: normaliseKey(nick) }, { projection });
    return { status: document === null ? 404 : 200, body: JSON.stringify(document) };
  } catch {
    return { status: 500, body: '{}' };
  }
}

export function serve(server: Server): void {
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    console.log(`listening ${String((server.address() as AddressInfo).port)}`);
  });
  process.on('SIGTERM', () => {
    server.close();
    void client.close();
  });
}
