// The README's walkthroughs, run as a reader pastes them: bash and curl against a running service, on an
// empty database, at today's date. Each curl -i prints its status line (after the previous body); they must be the ones the comments promise.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startTestApp } from './helpers/app.ts';
import { findCommand, toolAvailable } from './helpers/tools.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const bashBlocks = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].map(([, body = '']) => body);
const blockWith = (marker: string) => {
  const block = bashBlocks.find((body) => body.includes(marker));
  if (block === undefined) throw new Error(`no README bash block has ${marker}`);
  return block;
};

function runBash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => { resolve({ code, stdout, stderr }); });
  });
}

const curl = findCommand('CURL_BIN', 'curl');
if (toolAvailable(curl)) {
  test('the whole flow and the looking-for-group example run as written', async (t) => {
    const api = await startTestApp('readme_examples');
    t.teardown(() => api.close());
    const script = ['set -euo pipefail', blockWith('"nick": "Ada_L", "password"'), blockWith('OTHER_TOKEN=')].join('\n').replaceAll('localhost:8080', new URL(api.url).host);
    // node for the snippets' JSON parsing, curl as found.
    const pathWith = [path.dirname(process.execPath), path.dirname(curl.path), process.env.PATH ?? ''].join(path.delimiter);
    const { code, stdout, stderr } = await runBash(script, { ...process.env, PATH: pathWith });
    t.is(code, 0, stderr);
    const statuses = [...stdout.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map(([, status]) => status);
    // Sign-up, conditional PATCH, password change, PATCH with the old token; then join, leave, close.
    t.deepEqual(statuses, ['201', '200', '204', '401', '200', '204', '204'], stdout);
  });
}
