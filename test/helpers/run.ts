// Runs a command to its end and reports how it ended, for tests of scripts and commands.
import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit status; -1 when the command could not start or was killed. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Never rejects: a failing command is a result to assert on. */
export function runCommand(command: string, args: readonly string[], options: { env: Record<string, string>; cwd?: string; timeoutMs?: number }): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(command, args, { env: options.env, cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}
