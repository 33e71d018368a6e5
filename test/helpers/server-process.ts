// Runs the built server (dist/main.js) as a real child process, as the container does.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** Any 32+ bytes: processes under test need a signing key unless they run the embedded MongoDB. */
const testAuthSecret = 'process-test-signing-key-at-least-32-bytes';

const distDir = new URL('../../dist/', import.meta.url);
const entryPoint = fileURLToPath(new URL('main.js', distDir));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  /** Parsed JSON log lines so far. */
  readonly logs: Record<string, unknown>[];
  /** Raw stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Resolves once the server has logged a line starting with `message`, with that line's time (ms). */
export async function loggedAt(server: ServerProcess, message: string, timeoutMs = 20_000): Promise<number> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const line = server.logs.find((entry) => String(entry.msg).startsWith(message));
    if (line !== undefined) return Date.parse(String(line.time));
    // Short: a test may have to act within the half second that follows a shutdown step.
    await sleep(5);
  }
  throw new Error(`the server did not log "${message}" within ${String(timeoutMs)} ms`);
}

export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [entryPoint], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', AUTH_SECRET: testAuthSecret, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let output = '';
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, at: Date.now() }));
  // With a fixed PORT the caller polls the server itself (e.g. when LOG_LEVEL hides the "listening" line).
  const fixedPort = Number(env.PORT ?? 0);
  const port = fixedPort > 0 ? fixedPort : await new Promise<number>((resolve, reject) => {
    const poll = setInterval(() => {
      const listening = logs.find((line) => line.msg === 'listening');
      if (listening !== undefined) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve((listening.address as { port: number }).port);
      }
    }, 20);
    // Generous: a loaded 2-core machine has taken over 15 s to start several at once. Killed on failure,
    // as no teardown knows of it yet, and a live child would keep the test worker from ever exiting.
    const timer = setTimeout(() => {
      clearInterval(poll);
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 30 s: ${output}`));
    }, 30_000);
    void exited.then(() => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`server exited before listening: ${output}`));
    });
  });
  return { child, url: `http://127.0.0.1:${String(port)}`, port, logs, output: () => output, exited };
}

/**
 * Runs the server (or another script of dist/ with its arguments, e.g. seed.js) to completion, e.g. with a
 * bad config, and returns its exit code and output.
 */
export async function runServerToExit(env: Record<string, string>, script = 'main.js', args: readonly string[] = []): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(script, distDir)), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr, stdout };
}
