// The baseline the benchmark compares playerfinder with: a bare node:http server making exactly the
// MongoDB call of GET /v1/players/{nick} (same driver, filter and projection) and answering /status, with
// no framework, validation, logging or metrics. Reads MONGODB_URI and PORT; prints "listening <port>".
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MongoClient } from 'mongodb';
import { normaliseKey } from '../src/players/keys.ts';
import { projection } from '../src/players/repository.ts';

const client = new MongoClient(process.env.MONGODB_URI ?? '', { maxPoolSize: 20 });
const players = client.db().collection<{ _id: string }>('players');
const playerPath = /^\/v1\/players\/([^/?]+)$/;

const server = createServer((request, response) => {
  const send = (status: number, body: string) => {
    response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  };
  if (request.url === '/status') {
    send(200, JSON.stringify({ status: 'OK' }));
    return;
  }
  const nick = playerPath.exec(request.url ?? '')?.[1];
  if (nick === undefined) {
    send(404, '{}');
    return;
  }
  players.findOne({ _id: normaliseKey(decodeURIComponent(nick)) }, { projection }).then(
    (document) => { send(document === null ? 404 : 200, JSON.stringify(document)); },
    () => { send(500, '{}'); },
  );
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${String((server.address() as AddressInfo).port)}`);
});
process.on('SIGTERM', () => {
  server.close();
  void client.close();
});
