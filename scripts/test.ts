// `npm test` after the build: runs ava against MONGODB_URI, or against one embedded mongod started here
// for the whole run. A mongod that cannot start ends the run with one line instead of a failing hook in
// every test file, and a test file that registers no test fails the run (ava alone reports it and exits 0).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src/db/embedded.ts';
import { inCI } from '../test/helpers/ci.ts';

const avaCli = fileURLToPath(new URL('../node_modules/ava/entrypoints/cli.js', import.meta.url));

async function mongoForTests(): Promise<{ uri: string; embedded?: EmbeddedMongo }> {
  const configured = process.env.MONGODB_URI ?? '';
  if (configured !== '') return { uri: configured };
  if (inCI) throw new Error('MONGODB_URI is required in CI (.ci/run starts FerretDB and sets it)');
  const embedded = await startEmbeddedMongo(undefined);
  return { uri: embedded.uri, embedded };
}

/** Runs ava, passing its output through, and names the test files in which it found no test. */
function runAva(args: readonly string[], mongoUri: string): Promise<{ code: number; filesWithoutTests: string[] }> {
  const colour = process.stdout.isTTY ? { FORCE_COLOR: '1' } : {};
  const child = spawn(process.execPath, [avaCli, ...args], { env: { ...process.env, ...colour, MONGODB_URI: mongoUri }, stdio: ['inherit', 'pipe', 'pipe'] });
  const filesWithoutTests = new Set<string>();
  const watch = (from: NodeJS.ReadableStream, to: NodeJS.WriteStream) => {
    let pending = '';
    from.setEncoding('utf8');
    from.on('data', (chunk: string) => {
      to.write(chunk);
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const file = /No tests found in (\S+?)(?:,|$)/.exec(stripVTControlCharacters(line))?.[1];
        if (file !== undefined) filesWithoutTests.add(file);
      }
    });
  };
  watch(child.stdout, process.stdout);
  watch(child.stderr, process.stderr);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code: code ?? (signal === null ? 1 : 128), filesWithoutTests: [...filesWithoutTests] });
    });
  });
}

let mongo: Awaited<ReturnType<typeof mongoForTests>>;
try {
  mongo = await mongoForTests();
} catch (error) {
  process.stderr.write(`playerfinder tests: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const result = await runAva(process.argv.slice(2), mongo.uri);
await mongo.embedded?.stop();
for (const file of result.filesWithoutTests) process.stderr.write(`playerfinder tests: ${file} registers no test\n`);
process.exit(result.filesWithoutTests.length > 0 ? 1 : result.code);
