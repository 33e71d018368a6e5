// Expect (RFC 9110 §10.1.1). Node answers "100 Continue" as soon as a request's head arrives; held back
// here, the route sends it once it has accepted everything but the body (token, access, media type,
// declared size), so a client whose request is refused never sends its body. Any other expectation is
// one the server cannot meet: Node would answer a bare 417, the envelope answers it as a problem.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

const waitingForContinue = new WeakSet<IncomingMessage>();
const unmetExpectations = new WeakSet<IncomingMessage>();

/** Hands requests that carry an Expect to `server`'s request listeners as any other, answering none. */
export function holdContinue(server: Server): void {
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    waitingForContinue.add(request);
    server.emit('request', request, response);
  });
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    unmetExpectations.add(request);
    server.emit('request', request, response);
  });
}

/** Sends the held-back 100 Continue, if the client waits for one. */
export function inviteBody(request: IncomingMessage, response: ServerResponse): void {
  if (waitingForContinue.delete(request)) response.writeContinue();
}

/** Whether the request expects something other than 100-continue (which must get a 417). */
export const expectsTheUnmeetable = (request: IncomingMessage): boolean => unmetExpectations.has(request);
