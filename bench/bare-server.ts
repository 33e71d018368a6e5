// The baseline without a framework: node:http answering as baseline.ts says.
import { createServer, type ServerResponse } from 'node:http';
import { playerAnswer, serve, statusAnswer, type Answer } from './baseline.ts';

const playerPath = /^\/v1\/players\/([^/?]+)$/;

function send(response: ServerResponse, { status, body }: Answer): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

serve(
  createServer((request, response) => {
    if (request.url === '/status') {
      send(response, statusAnswer);
      return;
    }
    const nick = playerPath.exec(request.url ?? '')?.[1];
    if (nick === undefined) {
      send(response, { status: 404, body: '{}' });
      return;
    }
    void playerAnswer(decodeURIComponent(nick)).then((answer) => { send(response, answer); });
  }),
);
