// Connection strings may hold credentials: no configuration error repeats one, whatever shape the
// string has (property test), MONGODB_URI_FILE reads it from a mounted file, and logs redact it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { loadConfig } from '../src/config.ts';
import { ConfigError } from '../src/config/error.ts';
import { redactUri } from '../src/config/mongo.ts';
import { createMongoClient } from '../src/db/mongo.ts';
import { createMetrics } from '../src/metrics.ts';

const secretsDir = mkdtempSync(join(tmpdir(), 'playerfinder-uri-'));
let files = 0;
const secretFile = (content: string) => {
  const file = join(secretsDir, `uri-${String(files++)}`);
  writeFileSync(file, content);
  return file;
};

// Upper case, digits and URI delimiters: no 4-character run of these occurs in the lower-case wording
// of an error once variable names are taken out, so any such run found there came from the secret.
const secretChars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/@:%?#&=+!$'.split('');
const secret = fc.array(fc.constantFrom(...secretChars), { minLength: 6, maxLength: 24 }).map((chars) => chars.join(''));
const word = fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}$/);
const port = fc.option(fc.integer({ min: 0, max: 99_999 }).map(String), { nil: undefined });

/** Connection strings in the shapes people get wrong: raw and encoded passwords, secrets in paths and options. */
const uriWithSecret = fc
  .record({
    scheme: fc.constantFrom('mongodb://', 'mongodb+srv://', 'mongodb:/', 'mongo://', ''),
    user: fc.oneof(word, secret),
    password: secret,
    encode: fc.boolean(),
    host: word,
    port,
    shape: fc.constantFrom('userinfo', 'path', 'option', 'host', 'noColon'),
    database: fc.option(fc.oneof(word, secret), { nil: undefined }),
  })
  .map(({ scheme, user, password, encode, host, port: hostPort, shape, database }) => {
    const shown = encode ? encodeURIComponent(password) : password;
    const hostPart = `${host}${hostPort === undefined ? '' : `:${hostPort}`}`;
    const path = database === undefined ? '' : `/${database}`;
    const uris: Record<string, string> = {
      userinfo: `${scheme}${user}:${shown}@${hostPart}${path}`,
      path: `${scheme}${hostPart}/${shown}`,
      option: `${scheme}${user}@${hostPart}${path}?authSource=${shown}&password=${shown}`,
      host: `${scheme}${shown}${path}`,
      noColon: `${scheme}${user}${shown}@${hostPart}${path}`,
    };
    return { uri: uris[shape] ?? '', password, shape };
  });

/** Runs of the secret (4 characters or more) found in `text`, variable names aside. */
function leakedRuns(text: string, password: string): string[] {
  const wording = text.replace(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g, ' ');
  const runs: string[] = [];
  for (let start = 0; start + 4 <= password.length; start++) {
    const run = password.slice(start, start + 4);
    if (wording.includes(run) || wording.includes(encodeURIComponent(run))) runs.push(run);
  }
  return runs;
}

/** What the process would print for this environment: the config error, or the error creating the client. */
function errorText(env: Record<string, string>): string {
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
  if (config.mongo === undefined) return '';
  try {
    createMongoClient(config.mongo, createMetrics());
  } catch (error) {
    return `startup failed: ${String(error)}`;
  }
  return '';
}

const assertNoLeak = (text: string, password: string) => {
  const runs = leakedRuns(text, password);
  if (runs.length > 0) throw new Error(`"${text}" repeats ${runs.join(', ')} of the password`);
};

test('no configuration or start-up error repeats part of a password, whatever the URI looks like (property)', (t) => {
  fc.assert(
    fc.property(uriWithSecret, fc.boolean(), ({ uri, password }, fromFile) => {
      assertNoLeak(errorText(fromFile ? { MONGODB_URI_FILE: secretFile(`${uri}\n`) } : { MONGODB_URI: uri }), password);
    }),
    { numRuns: 1500 },
  );
  t.pass();
});

test('an accepted URI with credentials, raw or encoded, in user information or options, is logged without any part of the password (property)', (t) => {
  fc.assert(
    fc.property(uriWithSecret.filter(({ shape }) => shape !== 'path' && shape !== 'host'), fc.boolean(), ({ uri, password }, databaseSet) => {
      let mongo;
      try {
        mongo = loadConfig({ MONGODB_URI: uri, ...(databaseSet ? { MONGODB_DATABASE: 'games' } : {}) }).mongo;
      } catch {
        return;
      }
      if (mongo !== undefined) assertNoLeak(redactUri(mongo.uri), password);
    }),
    { numRuns: 1500 },
  );
  t.pass();
});

test('the example from the field: a raw slash in the password', (t) => {
  const error = t.throws(() => loadConfig({ MONGODB_URI: 'mongodb://app:Pa55/w0rd-s3cret@db:27017/x' }), { instanceOf: ConfigError });
  t.regex(error.message, /^invalid MONGODB_URI: /);
  t.false(error.message.includes('s3cret'));
  t.false(error.message.includes('Pa55'));
});

test('MONGODB_URI_FILE: the file holds the whole connection string; one trailing newline is ignored', (t) => {
  const mongo = loadConfig({ MONGODB_URI_FILE: secretFile('mongodb://app:s3cr%2Ft@db.example:27017/games?authSource=admin\n') }).mongo;
  t.is(mongo?.uri, 'mongodb://app:s3cr%2Ft@db.example:27017/games?authSource=admin');
  t.is(mongo?.database, 'games');
  t.is(redactUri(mongo?.uri ?? ''), 'mongodb://***@db.example:27017/games');
});

test('MONGODB_URI_FILE problems are one line naming it, never its content', (t) => {
  t.throws(() => loadConfig({ MONGODB_URI_FILE: join(secretsDir, 'missing') }), { message: /^invalid MONGODB_URI_FILE: cannot read .* \(ENOENT\)$/ });
  t.throws(() => loadConfig({ MONGODB_URI_FILE: secretFile('\n') }), { message: /^invalid MONGODB_URI_FILE: .* is empty$/ });
  const bad = t.throws(() => loadConfig({ MONGODB_URI_FILE: secretFile('postgres://u:HUNTER2@db/x\n') }), { instanceOf: ConfigError });
  t.regex(bad.message, /^invalid MONGODB_URI_FILE: /);
  t.false(bad.message.includes('HUNTER2'));
});

test('MONGODB_URI and MONGODB_URI_FILE together are refused: which one wins would be a guess', (t) => {
  t.throws(() => loadConfig({ MONGODB_URI: 'mongodb://db/a', MONGODB_URI_FILE: secretFile('mongodb://db/b') }), {
    message: /^invalid MONGODB_URI_FILE: set either MONGODB_URI or MONGODB_URI_FILE, not both$/,
  });
});

test('logged URIs show hosts and database only: a password holding a raw @, / or ? is hidden whole', (t) => {
  t.is(redactUri('mongodb://app:Pa55/w0rd@db:27017/x'), 'mongodb://***@db:27017/x');
  t.is(redactUri('mongodb://app:p@ss@db/x?appName=a@b'), 'mongodb://***@db/x');
  t.is(redactUri('mongodb://a:@db?x=S3CRET@TAIL'), 'mongodb://***@db');
});

test('a # in the connection string is refused: the driver would drop what follows it', (t) => {
  const error = t.throws(() => loadConfig({ MONGODB_URI: 'mongodb://app:Pa55#w0rd@db/x' }), { instanceOf: ConfigError });
  t.regex(error.message, /^invalid MONGODB_URI: must not contain #/);
  t.false(error.message.includes('w0rd'));
});
