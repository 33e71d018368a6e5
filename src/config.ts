// Reads and validates every setting once, at startup. A bad value becomes a ConfigError (src/config/error.ts);
// the MongoDB settings live in src/config/mongo.ts, secrets given as files in src/config/secrets.ts.
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError } from './config/error.ts';
import { mongoEnvSchema, mongoSettings, withUriFromFile, type MongoSettings } from './config/mongo.ts';
import { secretSetting } from './config/secrets.ts';
import { isHostName, optionalText, wholeNumber } from './validation.ts';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

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
  /** A listener of its own for /healthz and /readyz, beyond HTTP_MAX_CONNECTIONS; undefined: PORT only. */
  readonly healthPort: number | undefined;
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

// Each key is the environment variable it reads; defaults are the documented ones (README "Configuration").
const envSchema = z.object({
  PORT: wholeNumber(0, 65_535).default(8080),
  HEALTH_PORT: wholeNumber(0, 65_535).optional(),
  HOST: z
    .string()
    .trim()
    .refine((host) => isIP(host) !== 0 || isHostName(host), 'must be an IP address (such as 0.0.0.0 or ::) or a host name, without scheme, brackets or port')
    .default('0.0.0.0'),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  BODY_LIMIT_BYTES: wholeNumber(1024, 10 * 1024 * 1024).default(64 * 1024),
  // Default in shutdownDelayMs(): it depends on NODE_ENV.
  SHUTDOWN_DELAY_MS: wholeNumber(0, 120_000).optional(),
  SHUTDOWN_TIMEOUT_MS: wholeNumber(100, 300_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: wholeNumber(100, 600_000).default(30_000),
  // Default in httpServerSettings(): it follows a lower HTTP_REQUEST_TIMEOUT_MS.
  HTTP_HEADERS_TIMEOUT_MS: wholeNumber(100, 600_000).optional(),
  // Longer than the 60 s upstream keep-alive of ingress-nginx and AKS app routing, so the proxy, not the
  // server, closes idle connections and never sends a request on one the server is closing.
  HTTP_KEEP_ALIVE_TIMEOUT_MS: wholeNumber(100, 600_000).default(65_000),
  HTTP_MAX_CONNECTIONS: wholeNumber(1, 1_000_000).default(1000),
  MATCH_CANDIDATE_LIMIT: wholeNumber(10, 10_000).default(1000),
  ...mongoEnvSchema.shape,
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

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const { values, uriVariable } = withUriFromFile(withoutEmptyValues(env));
  const parsed = envSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`invalid ${name === 'MONGODB_URI' ? uriVariable : name}: ${issue?.message ?? 'bad value'}`);
  }
  const e = parsed.data;
  if (e.HEALTH_PORT !== undefined && e.HEALTH_PORT !== 0 && e.HEALTH_PORT === e.PORT) throw new ConfigError('invalid HEALTH_PORT: must differ from PORT');
  return {
    port: e.PORT,
    healthPort: e.HEALTH_PORT,
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
  // Node refuses a headers timeout longer than the request timeout, so the default gives way to a lower one.
  const headersTimeoutMs = e.HTTP_HEADERS_TIMEOUT_MS ?? Math.min(10_000, e.HTTP_REQUEST_TIMEOUT_MS);
  if (headersTimeoutMs > e.HTTP_REQUEST_TIMEOUT_MS) throw new ConfigError('invalid HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  return {
    requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    headersTimeoutMs,
    keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: e.HTTP_MAX_CONNECTIONS,
  };
}
