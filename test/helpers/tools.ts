// External tools (helm, docker, curl, schema files) that some suites need. In CI (a CI variable as CI
// services set it: true, 1, yes) a missing tool fails the run. Elsewhere the suite is skipped, and the
// skip shows as a test of its own that names the tool and the reason, so nothing disappears quietly.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import test from 'ava';
import { inCI } from './ci.ts';

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

const skipsRegistered = new Set<string>();

/**
 * True when the tool is there. Otherwise throws in CI, and elsewhere registers a skipped test that names
 * what is missing (once per reason and test file), then returns false.
 */
export function toolAvailable(lookup: ToolLookup): lookup is ToolLookup & { path: string } {
  if (lookup.path !== undefined) return true;
  if (inCI) throw new Error(`required in CI: ${lookup.reason}`);
  const title = `missing tool, tests skipped: ${lookup.reason.replace(/\s+/g, ' ')}`;
  if (!skipsRegistered.has(title)) {
    skipsRegistered.add(title);
    test.skip(title, () => undefined);
  }
  return false;
}
