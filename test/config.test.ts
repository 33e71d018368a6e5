// Configuration is read once and validated: defaults, one-line errors naming the variable, secrets from
// files, and credentials that never need percent-encoding.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { MongoClient } from 'mongodb';
import { loadConfig, requiredAuthSecret } from '../src/config.ts';
import { ConfigError } from '../src/config/error.ts';
import { redactUri } from '../src/config/mongo.ts';
import { createMongoClient } from '../src/db/mongo.ts';
import { createMetrics } from '../src/metrics.ts';

const secretsDir = mkdtempSync(join(tmpdir(), 'playerfinder-config-'));
const secretFile = (name: string, content: string) => {
  const file = join(secretsDir, name);
  writeFileSync(file, content);
  return file;
};

test('defaults: port 8080, info logs, 64 KiB bodies, no MongoDB configured', (t) => {
  const config = loadConfig({});
  t.like(config, { port: 8080, host: '0.0.0.0', logLevel: 'info', bodyLimitBytes: 65_536, shutdownDelayMs: 5000, shutdownTimeoutMs: 10_000, matchCandidateLimit: 1000 });
  t.is(config.mongo, undefined);
});

test('NODE_ENV=development (npm run dev) shuts down without the load-balancer delay, unless one is set', (t) => {
  t.is(loadConfig({ NODE_ENV: 'development' }).shutdownDelayMs, 0);
  t.is(loadConfig({ NODE_ENV: 'development', SHUTDOWN_DELAY_MS: '2000' }).shutdownDelayMs, 2000);
  t.is(loadConfig({ NODE_ENV: 'production' }).shutdownDelayMs, 5000);
});

test('empty variables count as unset', (t) => {
  t.is(loadConfig({ PORT: '', MONGODB_URI: '' }).port, 8080);
});

for (const [name, value] of [
  ['PORT', 'eighty'],
  ['PORT', '70000'],
  ['PORT', '0x50'],
  ['HEALTH_PORT', '8080'],
  ['HEALTH_PORT', '70000'],
  ['MONGODB_MAX_POOL_SIZE', '1e2'],
  ['MONGODB_URI', 'mongodb://db/%ZZ'],
  ['MONGODB_URI', 'mongodb://db/a.b'],
  ['LOG_LEVEL', 'loud'],
  ['SHUTDOWN_DELAY_MS', '-1'],
  ['BODY_LIMIT_BYTES', '1.5'],
  ['MONGODB_URI', 'http://example.com'],
  ['MONGODB_HOST', 'db.example.com:port'],
  ['MONGODB_HOST', 'db:99999'],
  ['MONGODB_HOST', 'db-0:27017,db-1:0'],
  ['MONGODB_HOST', 'db..example.com'],
  ['MONGODB_HOST', '-db'],
  ['MONGODB_HOST', 'db,,db-1'],
  ['MONGODB_TLS', 'yes'],
  ['MONGODB_SERVER_SELECTION_TIMEOUT_MS', '0'],
  ['HTTP_MAX_CONNECTIONS', '0'],
  ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '5s'],
  ['MONGODB_OPERATION_TIMEOUT_MS', '0'],
  ['MONGODB_OPERATION_TIMEOUT_MS', '5s'],
  ['MONGODB_INDEX_CHECK_INTERVAL_MS', '99'],
  ['MATCH_CANDIDATE_LIMIT', '5'],
  ['HOST', 'http://0.0.0.0'],
  ['HOST', '0.0.0.0:8080'],
  ['HOST', '[::]'],
  ['HOST', '999.1.1.1'],
  ['HOST', 'my host'],
] as const) {
  test(`a bad ${name} (${value}) is one line naming it`, (t) => {
    const error = t.throws(() => loadConfig({ [name]: value }), { instanceOf: ConfigError });
    t.true(error.message.startsWith(`invalid ${name}:`), error.message);
    t.false(error.message.includes('\n'));
  });
}

test('HOST takes an IPv4 or IPv6 address or a host name', (t) => {
  for (const host of ['0.0.0.0', '::', '127.0.0.1', 'localhost', 'playerfinder.default.svc.cluster.local', 'api.example.com.']) t.is(loadConfig({ HOST: host }).host, host);
});

test('MONGODB_HOST takes host names and IPv4 addresses, each with or without its port', (t) => {
  const { mongo } = loadConfig({ MONGODB_HOST: 'mongo-0.mongo.default.svc.cluster.local:27017,10.0.0.7,db:65535' });
  t.is(mongo?.uri, 'mongodb://mongo-0.mongo.default.svc.cluster.local:27017,10.0.0.7:27017,db:65535/');
});

test('the headers timeout defaults to 10 s, or to the request timeout when that is lower', (t) => {
  t.is(loadConfig({}).http.headersTimeoutMs, 10_000);
  t.is(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000' }).http.headersTimeoutMs, 5000);
  t.is(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '2000' }).http.headersTimeoutMs, 2000);
});

test('a headers timeout longer than the request timeout is one line naming it', (t) => {
  const error = t.throws(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' }), { instanceOf: ConfigError });
  t.regex(error.message, /^invalid HTTP_HEADERS_TIMEOUT_MS: /);
});

test('host settings build a URI without credentials; auth goes through driver options', (t) => {
  const mongo = loadConfig({ MONGODB_HOST: 'mongo-0.mongo,mongo-1.mongo:27018', MONGODB_DATABASE: 'games', MONGODB_USERNAME: 'app', MONGODB_PASSWORD: 'p@ss:w/rd%41', MONGODB_REPLICA_SET: 'rs0' }).mongo;
  t.is(mongo?.uri, 'mongodb://mongo-0.mongo:27017,mongo-1.mongo:27018/');
  t.deepEqual(mongo?.credentials, { username: 'app', password: 'p@ss:w/rd%41', authSource: 'games' });
  t.is(mongo?.replicaSet, 'rs0');
});

test('a password with @:/% reaches the driver unchanged', (t) => {
  const password = 'p@ss:w/rd%41';
  const file = secretFile('special', `${password}\n`);
  const config = loadConfig({ MONGODB_HOST: '127.0.0.1', MONGODB_USERNAME: 'app', MONGODB_PASSWORD_FILE: file });
  if (config.mongo === undefined) throw new Error('expected MongoDB settings');
  const client: MongoClient = createMongoClient(config.mongo, createMetrics());
  t.is(client.options.credentials?.password, password);
  t.is(client.options.credentials?.username, 'app');
  t.is(client.options.credentials?.source, 'playerfinder');
});

test('MONGODB_PASSWORD_FILE problems are one line naming the variable', (t) => {
  const base = { MONGODB_HOST: 'db', MONGODB_USERNAME: 'app' };
  t.throws(() => loadConfig({ ...base, MONGODB_PASSWORD_FILE: join(secretsDir, 'missing') }), { message: /^invalid MONGODB_PASSWORD_FILE: cannot read .* \(ENOENT\)$/ });
  t.throws(() => loadConfig({ ...base, MONGODB_PASSWORD_FILE: secretFile('empty', '\n') }), { message: /^invalid MONGODB_PASSWORD_FILE: .* is empty$/ });
  t.throws(() => loadConfig(base), { message: /^invalid MONGODB_PASSWORD:/ });
});

test('MONGODB_PASSWORD and MONGODB_PASSWORD_FILE together are refused, not one silently preferred', (t) => {
  const both = { MONGODB_HOST: 'db', MONGODB_USERNAME: 'app', MONGODB_PASSWORD: 'inline-secret', MONGODB_PASSWORD_FILE: secretFile('mongo-both', 'file-secret') };
  const error = t.throws(() => loadConfig(both), { message: /^invalid MONGODB_PASSWORD: set MONGODB_PASSWORD or MONGODB_PASSWORD_FILE, not both$/ });
  t.false(error.message.includes('secret'));
});

test('the database comes from MONGODB_DATABASE, else the URI path, else playerfinder', (t) => {
  t.is(loadConfig({ MONGODB_URI: 'mongodb://h/fromuri?tls=false' }).mongo?.database, 'fromuri');
  t.is(loadConfig({ MONGODB_URI: 'mongodb://h/fromuri', MONGODB_DATABASE: 'explicit' }).mongo?.database, 'explicit');
  t.is(loadConfig({ MONGODB_URI: 'mongodb://h' }).mongo?.database, 'playerfinder');
});

test('options written in MONGODB_URI stand unless their variable is set', (t) => {
  const fromUri = loadConfig({ MONGODB_URI: 'mongodb://db/app?authSource=admin&serverSelectionTimeoutMS=30000&maxPoolSize=5', MONGODB_USERNAME: 'u', MONGODB_PASSWORD: 'p' }).mongo;
  if (fromUri === undefined) throw new Error('expected MongoDB settings');
  const client = createMongoClient(fromUri, createMetrics());
  t.is(client.options.credentials?.source, 'admin');
  t.is(client.options.serverSelectionTimeoutMS, 30_000);
  t.is(client.options.maxPoolSize, 5);
  t.is(client.options.connectTimeoutMS, 5000, 'our default where the URI says nothing');

  const overridden = loadConfig({ MONGODB_URI: 'mongodb://db/app?maxPoolSize=5', MONGODB_MAX_POOL_SIZE: '7' }).mongo;
  if (overridden === undefined) throw new Error('expected MongoDB settings');
  t.is(createMongoClient(overridden, createMetrics()).options.maxPoolSize, 7);
});

test('URIs are redacted before they are logged', (t) => {
  t.is(redactUri('mongodb://user:secret@db:27017/x'), 'mongodb://***@db:27017/x');
  t.is(redactUri('mongodb+srv://u:p%40ss@cluster0.example.net/'), 'mongodb+srv://***@cluster0.example.net/');
  t.is(redactUri('mongodb://db:27017/'), 'mongodb://db:27017/');
});

const key32 = 'k'.repeat(32);

test('AUTH_SECRET is required with a configured MongoDB, optional only in the embedded development mode', (t) => {
  const error = t.throws(() => requiredAuthSecret(loadConfig({ MONGODB_URI: 'mongodb://db/app' })), { instanceOf: ConfigError });
  t.regex(error.message, /^invalid AUTH_SECRET: required/);
  t.is(requiredAuthSecret(loadConfig({})), undefined);
  t.deepEqual(requiredAuthSecret(loadConfig({ MONGODB_URI: 'mongodb://db/app', AUTH_SECRET: key32 })), new TextEncoder().encode(key32));
});

test('AUTH_SECRET and OPERATOR_TOKEN come from the variable or a file, at least 32 bytes, never both', (t) => {
  const fromFile = loadConfig({ AUTH_SECRET_FILE: secretFile('auth', `${key32}\n`), OPERATOR_TOKEN_FILE: secretFile('operator', 'o'.repeat(40)) }).auth;
  t.deepEqual(fromFile.secret, new TextEncoder().encode(key32));
  t.deepEqual(fromFile.operatorToken, new TextEncoder().encode('o'.repeat(40)));
  t.is(loadConfig({}).auth.operatorToken, undefined);
  t.throws(() => loadConfig({ AUTH_SECRET: 'short' }), { message: /^invalid AUTH_SECRET: must be at least 32 bytes, got 5$/ });
  t.throws(() => loadConfig({ OPERATOR_TOKEN: 'short' }), { message: /^invalid OPERATOR_TOKEN: must be at least 32 bytes/ });
  t.throws(() => loadConfig({ AUTH_SECRET: key32, AUTH_SECRET_FILE: secretFile('both', key32) }), { message: /^invalid AUTH_SECRET: set AUTH_SECRET or AUTH_SECRET_FILE, not both$/ });
  t.throws(() => loadConfig({ OPERATOR_TOKEN_FILE: join(secretsDir, 'absent') }), { message: /^invalid OPERATOR_TOKEN_FILE: cannot read .* \(ENOENT\)$/ });
});

test('an OPERATOR_TOKEN that no Authorization: Bearer header could carry is refused, without echoing it', (t) => {
  for (const token of ['operator token with spaces 0123456789', 'operator-token-with-a-quote"0123456789', 'operator-token-padding-in-the=middle-0123', 'operator-token-non-ascii-é-0123456789abc']) {
    const error = t.throws(() => loadConfig({ OPERATOR_TOKEN: token }), { message: /^invalid OPERATOR_TOKEN: must consist of letters, digits and - \. _ ~ \+ \/ \(optionally ending in =\), as bearer tokens do \(RFC 6750\)$/ });
    t.false(error.message.includes(token));
  }
  t.throws(() => loadConfig({ OPERATOR_TOKEN_FILE: secretFile('operator-spaces', 'operator token with spaces 0123456789\n') }), { message: /^invalid OPERATOR_TOKEN_FILE: must consist of/ });
  t.deepEqual(loadConfig({ OPERATOR_TOKEN: `${'Aa0-._~+/'.repeat(4)}==` }).auth.operatorToken, new TextEncoder().encode(`${'Aa0-._~+/'.repeat(4)}==`));
});

test('a secret with white space at either end is refused, naming the variable it came from', (t) => {
  for (const padded of [' '.repeat(40), `${key32} `, `\t${key32}`, `${key32}\n`]) {
    t.throws(() => loadConfig({ AUTH_SECRET: padded }), { message: /^invalid AUTH_SECRET: begins or ends with white space; remove it$/ });
  }
  // The file's one trailing newline is not part of the secret; anything else around it is.
  t.throws(() => loadConfig({ AUTH_SECRET_FILE: secretFile('auth-blank', `${' '.repeat(40)}\n`) }), { message: /^invalid AUTH_SECRET_FILE: begins or ends with white space/ });
  t.throws(() => loadConfig({ OPERATOR_TOKEN_FILE: secretFile('operator-crlf-twice', `${'o'.repeat(40)}\r\n\r\n`) }), { message: /^invalid OPERATOR_TOKEN_FILE: begins or ends with white space/ });
  t.throws(() => loadConfig({ AUTH_SECRET_FILE: secretFile('auth-short', 'short\n') }), { message: /^invalid AUTH_SECRET_FILE: must be at least 32 bytes, got 5$/ });
});

test('token lifetime and login throttling have documented defaults', (t) => {
  t.like(loadConfig({}).auth, { tokenTtlSeconds: 3600, loginLimit: 5, loginWindowSeconds: 900, hashConcurrency: 2, hashQueueLimit: 8 });
  t.like(loadConfig({ AUTH_HASH_CONCURRENCY: '3' }).auth, { hashQueueLimit: 12 });
  t.like(loadConfig({ AUTH_HASH_QUEUE_LIMIT: '0' }).auth, { hashQueueLimit: 0 });
  t.throws(() => loadConfig({ AUTH_TOKEN_TTL_SECONDS: '1h' }), { message: /^invalid AUTH_TOKEN_TTL_SECONDS:/ });
});
