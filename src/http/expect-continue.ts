// Expect: 100-continue (RFC 9110 §10.1.1). Node answers "100 Continue" as soon as a request's head arrives;
// held back here, the route sends it once it has accepted everything but the body (token, access, media
// type, declared size), so a client whose request is refused never sends its body.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

const waitingForContinue = new WeakSet<IncomingMessage>();

/** Hands requests that expect 100-continue to `server`'s request listeners as any other, the 100 held back. */
export function holdContinue(server: Server): void {
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    waitingForContinue.add(request);
    server.emit('request', request, response);
  });
}

/** Sends the held-back 100 Continue, if the client waits for one. */
export function inviteBody(request: IncomingMessage, response: ServerResponse): void {
  if (waitingForContinue.delete(request)) response.writeContinue();
}
