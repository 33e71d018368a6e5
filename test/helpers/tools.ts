// External tools (helm, docker, schema files) that some suites need. Outside CI a missing tool skips
// its suite with a visible reason; in CI (CI=true) it fails the run, so nothing is skipped quietly.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const inCI = process.env.CI === 'true';

export interface ToolLookup {
  /** The command or file to use, or undefined when it is not available here. */
  readonly path: string | undefined;
  /** Why it is unavailable; empty when it is available. */
  readonly reason: string;
}

/** A command named by `envVar` (or `fallback` on PATH) that answers `versionArgs` with exit 0. */
export function findCommand(envVar: string, fallback: string, versionArgs: readonly string[] = ['--version']): ToolLookup {
  const command = process.env[envVar] ?? fallback;
  const probe = spawnSync(command, versionArgs, { encoding: 'utf8', timeout: 30_000 });
  if (probe.error !== undefined || probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim();
    return { path: undefined, reason: `${command} is not usable (set ${envVar}): ${why}` };
  }
  return { path: command, reason: '' };
}

/** A file named by `envVar` that exists. */
export function findFile(envVar: string): ToolLookup {
  const file = process.env[envVar];
  if (file === undefined || file === '') return { path: undefined, reason: `${envVar} is not set` };
  if (!existsSync(file)) return { path: undefined, reason: `${envVar}=${file} does not exist` };
  return { path: file, reason: '' };
}

/**
 * Throws in CI when the tool is missing; elsewhere logs why the suite is skipped.
 * Returns true when the suite can run.
 */
export function toolAvailable(lookup: ToolLookup): lookup is ToolLookup & { path: string } {
  if (lookup.path !== undefined) return true;
  if (inCI) throw new Error(`required in CI: ${lookup.reason}`);
  console.warn(`skipping: ${lookup.reason}`);
  return false;
}
