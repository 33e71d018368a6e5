// Request heads Node's HTTP layer lets through, or would answer with a bare status line, refused by the
// envelope as problems (with a request id, a log line and metrics, like every other answer).
import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors.ts';
import { expectsTheUnmeetable } from './expect-continue.ts';

/** RFC 9112 §3.2: a request without Host (HTTP/1.0 may omit it), or any request with more than one, is a 400. */
function hostLines(request: IncomingMessage): number {
  const raw = request.rawHeaders;
  let count = 0;
  for (let index = 0; index < raw.length; index += 2) if (raw[index]?.length === 4 && raw[index]?.toLowerCase() === 'host') count += 1;
  return count;
}

export function assertAcceptableHead(request: IncomingMessage): void {
  const hosts = hostLines(request);
  if (hosts > 1) throw new AppError(400, { detail: 'The request has more than one Host header; send one.' });
  if (hosts === 0 && request.httpVersion !== '1.0') throw new AppError(400, { detail: 'The request needs a Host header (only HTTP/1.0 may omit it).' });
  if (expectsTheUnmeetable(request)) throw new AppError(417, { detail: 'The only expectation this server meets is Expect: 100-continue.' });
}
