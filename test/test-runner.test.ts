// `npm test`'s runner (scripts/test.ts) without MONGODB_URI: where no MongoDB can start, the run ends with
// one line naming the way out, before any test file runs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { runCommand } from './helpers/run.ts';

const runner = fileURLToPath(new URL('../scripts/test.ts', import.meta.url));

const runTests = (env: Record<string, string>) => runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', runner], { env: { PATH: process.env.PATH ?? '', ...env } });

test('without MONGODB_URI and with no way to fetch mongod, npm test fails with one line', async (t) => {
  // An unreachable download URL and empty cache folders make the embedded MongoDB fail the same way anywhere.
  const empty = await mkdtemp(join(tmpdir(), 'playerfinder-runner-'));
  t.teardown(() => rm(empty, { recursive: true, force: true }));
  const result = await runTests({ HOME: empty, MONGOMS_DOWNLOAD_DIR: empty, MONGOMS_DOWNLOAD_URL: 'http://127.0.0.1:9/mongodb.tgz' });
  t.is(result.code, 1);
  t.regex(result.stderr, /^playerfinder tests: embedded MongoDB could not start \(.+\); set MONGODB_URI .+\n$/);
  t.is(result.stdout, '', 'no test file ran');
});

test('in CI, npm test without MONGODB_URI fails with one line instead of downloading a MongoDB', async (t) => {
  const result = await runTests({ CI: '1' });
  t.is(result.code, 1);
  t.is(result.stderr, 'playerfinder tests: MONGODB_URI is required in CI (.ci/run starts FerretDB and sets it)\n');
  t.is(result.stdout, '');
});
