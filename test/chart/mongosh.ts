// The npm mongosh as a child process, for the chart's MongoDB script tests and the bootstrap benchmark.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { repoRoot } from './render.ts';

const mongosh = path.join(repoRoot, 'node_modules', '.bin', 'mongosh');

/** A HOME for mongosh (its config and logs live there) with telemetry off, so it talks to loopback only. */
export async function mongoshHome(home: string): Promise<void> {
  await mkdir(path.join(home, '.mongodb', 'mongosh'), { recursive: true });
  await writeFile(path.join(home, '.mongodb', 'mongosh', 'config'), '{"enableTelemetry":false}');
}

export interface Run {
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  /** Resolves once `count` output lines match `pattern`. */
  readonly waitFor: (pattern: RegExp, count?: number) => Promise<void>;
  readonly pid: number;
  readonly stop: () => Promise<void>;
}

export function runMongosh(args: readonly string[], env: Record<string, string>): Run {
  const child = spawn(mongosh, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; count: number; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (lines.filter((line) => waiter.pattern.test(line)).length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  let partial = '';
  const collect = (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    check();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    lines,
    exited,
    pid: child.pid ?? 0,
    waitFor: (pattern, count = 1) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ pattern, count, resolve });
        check();
        void exited.then(() => {
          reject(new Error(`mongosh exited before ${String(count)} lines matched ${String(pattern)}:\n${lines.join('\n')}`));
        });
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** A loopback port where nothing listens: a member that does not answer (Pending, or not in DNS yet). */
export async function silentHost(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return `127.0.0.1:${String(port)}`;
}

export function rssMiB(pid: number): Promise<number> {
  return readFile(`/proc/${String(pid)}/status`, 'utf8').then((status) => Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024);
}
