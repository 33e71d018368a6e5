// Reads and validates every setting once, at startup. A bad value becomes a ConfigError whose message is
// one line naming the variable and the rule it broke, never the value: a connection string or a
// password can hold credentials, and errors end up in logs. (File paths are named: they hold no secret.)
import { readFileSync } from 'node:fs';
import { MongoClient } from 'mongodb';
import { z } from 'zod';
import { bearerTokenPattern } from './auth/caller.ts';
import { wholeNumber } from './validation.ts';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface MongoSettings {
  /** Connection string; it may carry credentials (MONGODB_URI, MONGODB_URI_FILE), so it is logged only through redactUri. */
  readonly uri: string;
  readonly database: string;
  /**
   * Passed through driver options, never embedded in the URI, so no percent-encoding is involved.
   * authSource undefined: as MONGODB_URI says.
   */
  readonly credentials: { readonly username: string; readonly password: string; readonly authSource: string | undefined } | undefined;
  readonly replicaSet: string | undefined;
  readonly tls: boolean;
  // undefined: MONGODB_URI sets it and the variable does not, so the URI's value stands.
  readonly serverSelectionTimeoutMs: number | undefined;
  readonly connectTimeoutMs: number | undefined;
  readonly maxPoolSize: number | undefined;
  /** Server-side time limit (maxTimeMS) of each database operation. */
  readonly operationTimeoutMs: number;
}

/** The HTTP server's own limits: how long a client may take, and how many connections it may hold. */
export interface HttpServerSettings {
  /** Time to receive a whole request (headers and body). */
  readonly requestTimeoutMs: number;
  /** Time to receive the request headers. */
  readonly headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly bodyLimitBytes: number;
  readonly shutdownDelayMs: number;
  readonly shutdownTimeoutMs: number;
  readonly http: HttpServerSettings;
  /** About how many players sharing a title one match suggestion request scores (split over the titles). */
  readonly matchCandidateLimit: number;
  /** undefined: no MongoDB was configured, so main.ts starts an embedded one (development only). */
  readonly mongo: MongoSettings | undefined;
  /** Data folder of that embedded MongoDB. */
  readonly embeddedMongoDir: string;
  readonly auth: AuthSettings;
}

export interface AuthSettings {
  /** JWT signing key; required unless MongoDB is embedded (see requiredAuthSecret). */
  readonly secret: Uint8Array | undefined;
  /** May delete any profile; undefined: no operator. */
  readonly operatorToken: Uint8Array | undefined;
  readonly tokenTtlSeconds: number;
  readonly loginLimit: number;
  readonly loginWindowSeconds: number;
  /** Password hashes computed at once; each holds scrypt's memory (src/auth/passwords.ts). */
  readonly hashConcurrency: number;
  /** Hashes that may wait for a slot; past that, sign-ups, logins and password changes get 503. */
  readonly hashQueueLimit: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const optionalText = z.string().trim().min(1).optional();
const databaseName = /^[A-Za-z0-9_-]{1,63}$/;
const databaseNameRule = 'must be 1-63 letters, digits, _ or -';

// Each key is the environment variable it reads; defaults are the documented ones (README "Configuration").
const envSchema = z.object({
  PORT: wholeNumber(0, 65_535).default(8080),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  BODY_LIMIT_BYTES: wholeNumber(1024, 10 * 1024 * 1024).default(64 * 1024),
  // Default in shutdownDelayMs(): it depends on NODE_ENV.
  SHUTDOWN_DELAY_MS: wholeNumber(0, 120_000).optional(),
  SHUTDOWN_TIMEOUT_MS: wholeNumber(100, 300_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: wholeNumber(100, 600_000).default(30_000),
  HTTP_HEADERS_TIMEOUT_MS: wholeNumber(100, 600_000).default(10_000),
  // Longer than the 60 s upstream keep-alive of ingress-nginx and AKS app routing, so the proxy, not the
  // server, closes idle connections and never sends a request on one the server is closing.
  HTTP_KEEP_ALIVE_TIMEOUT_MS: wholeNumber(100, 600_000).default(65_000),
  HTTP_MAX_CONNECTIONS: wholeNumber(1, 1_000_000).default(1000),
  MATCH_CANDIDATE_LIMIT: wholeNumber(10, 10_000).default(1000),
  MONGODB_URI: z
    .string()
    .trim()
    .regex(/^mongodb(\+srv)?:\/\/[^/?#]+/, 'must start with mongodb:// or mongodb+srv:// and name a host')
    // The driver ignores a #fragment, so a raw # in a password would silently cut it, and leave its rest
    // where logs show it.
    .refine((uri) => !uri.includes('#'), 'must not contain # (in a user name or password, percent-encode it as %23)')
    .optional(),
  MONGODB_URI_FILE: optionalText,
  MONGODB_HOST: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?(,[A-Za-z0-9.-]+(:\d{1,5})?)*$/, 'must be host[:port] or a comma-separated list of them')
    .optional(),
  MONGODB_PORT: wholeNumber(1, 65_535).default(27017),
  MONGODB_DATABASE: z.string().trim().regex(databaseName, databaseNameRule).optional(),
  MONGODB_USERNAME: optionalText,
  MONGODB_PASSWORD: z.string().min(1).optional(),
  MONGODB_PASSWORD_FILE: optionalText,
  MONGODB_AUTH_SOURCE: optionalText,
  MONGODB_REPLICA_SET: optionalText,
  MONGODB_TLS: z.enum(['true', 'false']).default('false'),
  // Defaults in driverDefaults: they give way to the same options written in MONGODB_URI.
  MONGODB_SERVER_SELECTION_TIMEOUT_MS: wholeNumber(100, 120_000).optional(),
  MONGODB_CONNECT_TIMEOUT_MS: wholeNumber(100, 120_000).optional(),
  MONGODB_MAX_POOL_SIZE: wholeNumber(1, 1000).optional(),
  MONGODB_OPERATION_TIMEOUT_MS: wholeNumber(1, 600_000).default(10_000),
  EMBEDDED_MONGODB_DIR: z.string().trim().min(1).default('.data/mongodb'),
  AUTH_SECRET: z.string().optional(),
  AUTH_SECRET_FILE: optionalText,
  OPERATOR_TOKEN: z.string().optional(),
  OPERATOR_TOKEN_FILE: optionalText,
  AUTH_TOKEN_TTL_SECONDS: wholeNumber(60, 7 * 24 * 3600).default(3600),
  LOGIN_THROTTLE_LIMIT: wholeNumber(1, 1000).default(5),
  LOGIN_THROTTLE_WINDOW_SECONDS: wholeNumber(1, 24 * 3600).default(15 * 60),
  AUTH_HASH_CONCURRENCY: wholeNumber(1, 16).default(2),
  // Default in authSettings(): four times AUTH_HASH_CONCURRENCY.
  AUTH_HASH_QUEUE_LIMIT: wholeNumber(0, 10_000).optional(),
  NODE_ENV: optionalText,
});

type Env = z.infer<typeof envSchema>;

const defaultDatabase = 'playerfinder';

/** Ours, not the driver's: its 30 s server selection would keep requests waiting long before their 503. */
const driverDefaults = { serverSelectionTimeoutMS: 3000, connectTimeoutMS: 5000, maxPoolSize: 20 } as const;

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const { values, uriVariable } = withUriFromFile(withoutEmptyValues(env));
  const parsed = envSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`invalid ${name === 'MONGODB_URI' ? uriVariable : name}: ${issue?.message ?? 'bad value'}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS ?? shutdownDelayMs(e.NODE_ENV),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    http: httpServerSettings(e),
    matchCandidateLimit: e.MATCH_CANDIDATE_LIMIT,
    mongo: mongoSettings(e, uriVariable),
    embeddedMongoDir: e.EMBEDDED_MONGODB_DIR,
    auth: authSettings(e),
  };
}

/** Secrets shorter than this are guessable or typos; 32 bytes is HS256's key size. */
const minimumSecretBytes = 32;

/**
 * The signing key, or undefined in the embedded development mode (no MongoDB configured), where main.ts
 * makes one up per process. Anywhere else the service must not start without one.
 */
export function requiredAuthSecret(config: Config): Uint8Array | undefined {
  if (config.auth.secret === undefined && config.mongo !== undefined) {
    throw new ConfigError('invalid AUTH_SECRET: required (or AUTH_SECRET_FILE) to sign tokens; only the embedded development mode makes one up');
  }
  return config.auth.secret;
}

function authSettings(e: Env): AuthSettings {
  return {
    secret: secretSetting(e, 'AUTH_SECRET'),
    operatorToken: secretSetting(e, 'OPERATOR_TOKEN'),
    tokenTtlSeconds: e.AUTH_TOKEN_TTL_SECONDS,
    loginLimit: e.LOGIN_THROTTLE_LIMIT,
    loginWindowSeconds: e.LOGIN_THROTTLE_WINDOW_SECONDS,
    hashConcurrency: e.AUTH_HASH_CONCURRENCY,
    hashQueueLimit: e.AUTH_HASH_QUEUE_LIMIT ?? 4 * e.AUTH_HASH_CONCURRENCY,
  };
}

/** A secret from NAME or NAME_FILE (not both), at least 32 bytes. */
function secretSetting(e: Env, name: 'AUTH_SECRET' | 'OPERATOR_TOKEN'): Uint8Array | undefined {
  const inline = e[name];
  const file = e[`${name}_FILE`];
  if (inline !== undefined && file !== undefined) throw new ConfigError(`invalid ${name}: set ${name} or ${name}_FILE, not both`);
  const value = inline ?? (file === undefined ? undefined : readSecretFile(`${name}_FILE`, file));
  if (value === undefined) return undefined;
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length < minimumSecretBytes) throw new ConfigError(`invalid ${name}: must be at least ${String(minimumSecretBytes)} bytes, got ${String(bytes.length)}`);
  // Clients send it as a bearer token, which RFC 6750 §2.1 limits to b64token characters; any other could never be presented.
  if (name === 'OPERATOR_TOKEN' && !bearerTokenPattern.test(value)) {
    throw new ConfigError(`invalid ${name}: must consist of letters, digits and - . _ ~ + / (optionally ending in =), as bearer tokens do (RFC 6750)`);
  }
  return new Uint8Array(bytes);
}

type UriVariable = 'MONGODB_URI' | 'MONGODB_URI_FILE';

/**
 * MONGODB_URI_FILE (a mounted Secret) stands in for MONGODB_URI; errors about the connection string then
 * name it. Both at once is refused: which should win would be a guess.
 */
function withUriFromFile(env: Record<string, string>): { values: Record<string, string>; uriVariable: UriVariable } {
  const file = env.MONGODB_URI_FILE;
  if (file === undefined) return { values: env, uriVariable: 'MONGODB_URI' };
  if (env.MONGODB_URI !== undefined) throw new ConfigError('invalid MONGODB_URI_FILE: set either MONGODB_URI or MONGODB_URI_FILE, not both');
  return { values: { ...env, MONGODB_URI: readSecretFile('MONGODB_URI_FILE', file) }, uriVariable: 'MONGODB_URI_FILE' };
}

/**
 * Load balancers need a few seconds to stop routing to a pod after its readiness fails; a developer's
 * Ctrl-C under `npm run dev` (NODE_ENV=development) has no load balancer to wait for.
 */
function shutdownDelayMs(nodeEnv: string | undefined): number {
  return nodeEnv === 'development' ? 0 : 5000;
}

/** Kubernetes and shells often pass unset values as empty strings; treat them as unset. */
function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

function httpServerSettings(e: Env): HttpServerSettings {
  // Node refuses a headers timeout longer than the request timeout.
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) throw new ConfigError('invalid HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  return {
    requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: e.HTTP_MAX_CONNECTIONS,
  };
}

function mongoSettings(e: Env, uriVariable: UriVariable): MongoSettings | undefined {
  if (e.MONGODB_URI === undefined && e.MONGODB_HOST === undefined) {
    if (e.MONGODB_USERNAME !== undefined) throw new ConfigError('invalid MONGODB_USERNAME: set MONGODB_HOST or MONGODB_URI too');
    return undefined;
  }
  const uri = e.MONGODB_URI ?? `mongodb://${withDefaultPorts(e.MONGODB_HOST ?? '', e.MONGODB_PORT)}/`;
  assertDriverCanParse(uri, uriVariable);
  // Credentials inside MONGODB_URI (an external database's Secret) are honoured by the driver and
  // redacted before logging; mixing them with MONGODB_USERNAME would be ambiguous.
  if (e.MONGODB_USERNAME !== undefined && /^mongodb(\+srv)?:\/\/[^/]*@/.test(uri)) {
    throw new ConfigError(`invalid MONGODB_USERNAME: ${uriVariable} already carries credentials`);
  }
  const database = e.MONGODB_DATABASE ?? databaseFromUri(uri, uriVariable) ?? defaultDatabase;
  const inUri = new Set([...new URLSearchParams(uri.split('?')[1] ?? '').keys()].map((key) => key.toLowerCase()));
  /** The variable if set; else nothing when the URI sets the option; else our default. */
  const option = (variable: number | undefined, name: keyof typeof driverDefaults) =>
    variable ?? (inUri.has(name.toLowerCase()) ? undefined : driverDefaults[name]);
  return {
    uri,
    database,
    credentials: credentials(e, inUri.has('authsource') ? undefined : database),
    replicaSet: e.MONGODB_REPLICA_SET,
    tls: e.MONGODB_TLS === 'true',
    serverSelectionTimeoutMs: option(e.MONGODB_SERVER_SELECTION_TIMEOUT_MS, 'serverSelectionTimeoutMS'),
    connectTimeoutMs: option(e.MONGODB_CONNECT_TIMEOUT_MS, 'connectTimeoutMS'),
    maxPoolSize: option(e.MONGODB_MAX_POOL_SIZE, 'maxPoolSize'),
    operationTimeoutMs: e.MONGODB_OPERATION_TIMEOUT_MS,
  };
}

/**
 * The driver's own parser decides what a connection string means; its messages repeat parts of the
 * string (user names, option names), so only the variable and the likely cause are reported.
 */
function assertDriverCanParse(uri: string, uriVariable: UriVariable): void {
  try {
    // Parses the string and opens nothing: connecting is left to connect().
    new MongoClient(uri);
  } catch {
    throw new ConfigError(`invalid ${uriVariable}: the MongoDB driver cannot parse it (in a user name or password, @ : / ? # % must be percent-encoded)`);
  }
}

function withDefaultPorts(hosts: string, port: number): string {
  return hosts
    .split(',')
    .map((host) => (host.includes(':') ? host : `${host}:${port}`))
    .join(',');
}

function databaseFromUri(uri: string, uriVariable: UriVariable): string | undefined {
  const path = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri)?.[1];
  if (path === undefined) return undefined;
  // A password with a raw / ends up here, so the path is never repeated; the hint says why it may be wrong.
  const rule = `its database path ${databaseNameRule} (in a password, @ : / ? # % must be percent-encoded)`;
  let database: string;
  try {
    database = decodeURIComponent(path);
  } catch {
    throw new ConfigError(`invalid ${uriVariable}: ${rule}`);
  }
  if (!databaseName.test(database)) throw new ConfigError(`invalid ${uriVariable}: ${rule}`);
  return database;
}

/** `authSource`: the database to authenticate against, or undefined to leave it to the URI. */
function credentials(e: Env, authSource: string | undefined): MongoSettings['credentials'] {
  if (e.MONGODB_PASSWORD !== undefined && e.MONGODB_PASSWORD_FILE !== undefined) {
    throw new ConfigError('invalid MONGODB_PASSWORD: set MONGODB_PASSWORD or MONGODB_PASSWORD_FILE, not both');
  }
  const password = e.MONGODB_PASSWORD ?? (e.MONGODB_PASSWORD_FILE === undefined ? undefined : readSecretFile('MONGODB_PASSWORD_FILE', e.MONGODB_PASSWORD_FILE));
  if (e.MONGODB_USERNAME === undefined) {
    if (password !== undefined) throw new ConfigError('invalid MONGODB_PASSWORD: set MONGODB_USERNAME too');
    return undefined;
  }
  if (password === undefined) throw new ConfigError('invalid MONGODB_PASSWORD: required with MONGODB_USERNAME (or MONGODB_PASSWORD_FILE)');
  return { username: e.MONGODB_USERNAME, password, authSource: e.MONGODB_AUTH_SOURCE ?? authSource };
}

/** A secret mounted as a file; `variable` names the setting in errors. */
function readSecretFile(variable: string, file: string): string {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`invalid ${variable}: cannot read ${file} (${code})`);
  }
  // Files written by editors or `echo` end with a newline that is not part of the secret.
  const secret = content.replace(/\r?\n$/, '');
  if (secret === '') throw new ConfigError(`invalid ${variable}: ${file} is empty`);
  return secret;
}

/**
 * The URI for logs: hosts and database only. User information goes up to the last @, so a password
 * holding a raw @ or / is hidden whole; options go too, since a password's raw ? puts its rest there.
 */
export function redactUri(uri: string): string {
  return uri.replace(/\?.*$/s, '').replace(/^(mongodb(?:\+srv)?:\/\/).*@/s, '$1***@');
}
