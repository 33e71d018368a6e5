// The MongoDB settings: their variables, the connection string they make (checked by the driver's own
// parser), the database and credentials, and the redacted form of that string for logs.
import { isIP } from 'node:net';
import { MongoClient } from 'mongodb';
import { z } from 'zod';
import { isHostName, optionalText, wholeNumber } from '../validation.ts';
import { ConfigError } from './error.ts';
import { inlineOrFile, readSecretFile } from './secrets.ts';

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
  /** How often the indexes are checked, and missing ones created again, once they first exist. */
  readonly indexCheckIntervalMs: number;
}

const databaseName = /^[A-Za-z0-9_-]{1,63}$/;
const databaseNameRule = 'must be 1-63 letters, digits, _ or -';

const portNumber = wholeNumber(1, 65_535);

/** Each key is the environment variable it reads; defaults are the documented ones (README "Configuration"). */
export const mongoEnvSchema = z.object({
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
    .refine((hosts) => hosts.split(',').every(isHostAndPort), 'must be host[:port] or a comma-separated list of them: host names or IPv4 addresses (IPv6 needs MONGODB_URI), ports 1-65535')
    .optional(),
  MONGODB_PORT: portNumber.default(27017),
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
  MONGODB_INDEX_CHECK_INTERVAL_MS: wholeNumber(100, 86_400_000).default(60_000),
});

type MongoEnv = z.infer<typeof mongoEnvSchema>;

/** One entry of MONGODB_HOST: a host name or IPv4 address, and maybe a port (IPv6 needs MONGODB_URI's brackets). */
function isHostAndPort(entry: string): boolean {
  const [host = '', port, ...rest] = entry.split(':');
  const validPort = port === undefined || portNumber.safeParse(port).success;
  return rest.length === 0 && validPort && (isIP(host) === 4 || isHostName(host));
}

export type UriVariable = 'MONGODB_URI' | 'MONGODB_URI_FILE';

const defaultDatabase = 'playerfinder';

/** Ours, not the driver's: its 30 s server selection would keep requests waiting long before their 503. */
const driverDefaults = { serverSelectionTimeoutMS: 3000, connectTimeoutMS: 5000, maxPoolSize: 20 } as const;

/**
 * MONGODB_URI_FILE (a mounted Secret) stands in for MONGODB_URI; errors about the connection string then
 * name it. Both at once is refused: which should win would be a guess.
 */
export function withUriFromFile(env: Record<string, string>): { values: Record<string, string>; uriVariable: UriVariable } {
  const file = env.MONGODB_URI_FILE;
  if (file === undefined) return { values: env, uriVariable: 'MONGODB_URI' };
  if (env.MONGODB_URI !== undefined) throw new ConfigError('invalid MONGODB_URI_FILE: set either MONGODB_URI or MONGODB_URI_FILE, not both');
  return { values: { ...env, MONGODB_URI: readSecretFile('MONGODB_URI_FILE', file) }, uriVariable: 'MONGODB_URI_FILE' };
}

export function mongoSettings(e: MongoEnv, uriVariable: UriVariable): MongoSettings | undefined {
  if (e.MONGODB_URI === undefined && e.MONGODB_HOST === undefined) {
    if (e.MONGODB_USERNAME !== undefined) throw new ConfigError('invalid MONGODB_USERNAME: set MONGODB_HOST or MONGODB_URI too');
    return undefined;
  }
  const uri = e.MONGODB_URI ?? `mongodb://${withDefaultPorts(e.MONGODB_HOST ?? '', e.MONGODB_PORT)}/`;
  if (e.MONGODB_URI === undefined) assertDriverCanParse(uri, 'MONGODB_HOST', 'as a list of hosts');
  else assertDriverCanParse(uri, uriVariable, '(in a user name or password, @ : / ? # % must be percent-encoded)');
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
    indexCheckIntervalMs: e.MONGODB_INDEX_CHECK_INTERVAL_MS,
  };
}

/**
 * The driver's own parser decides what a connection string means; its messages repeat parts of the
 * string (user names, option names), so only the variable and the likely cause are reported.
 */
function assertDriverCanParse(uri: string, variable: UriVariable | 'MONGODB_HOST', hint: string): void {
  try {
    // Parses the string and opens nothing: connecting is left to connect().
    new MongoClient(uri);
  } catch {
    throw new ConfigError(`invalid ${variable}: the MongoDB driver cannot parse it ${hint}`);
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
function credentials(e: MongoEnv, authSource: string | undefined): MongoSettings['credentials'] {
  const password = inlineOrFile('MONGODB_PASSWORD', e.MONGODB_PASSWORD, e.MONGODB_PASSWORD_FILE);
  if (e.MONGODB_USERNAME === undefined) {
    if (password !== undefined) throw new ConfigError('invalid MONGODB_PASSWORD: set MONGODB_USERNAME too');
    return undefined;
  }
  if (password === undefined) throw new ConfigError('invalid MONGODB_PASSWORD: required with MONGODB_USERNAME (or MONGODB_PASSWORD_FILE)');
  return { username: e.MONGODB_USERNAME, password, authSource: e.MONGODB_AUTH_SOURCE ?? authSource };
}

/**
 * The URI for logs: hosts and database only. User information goes up to the last @, so a password
 * holding a raw @ or / is hidden whole; options go too, since a password's raw ? puts its rest there.
 */
export function redactUri(uri: string): string {
  return uri.replace(/\?.*$/s, '').replace(/^(mongodb(?:\+srv)?:\/\/).*@/s, '$1***@');
}
