// Valid players and a small JSON client for the API tests.

/** The password validPlayer signs up with; tests scan responses and logs for it. */
export const testPassword = 'correct horse battery staple';

/** A valid sign-up (POST /v1/players): a profile and its password. */
export function validPlayer(nick: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...validProfile(nick), password: testPassword, ...overrides };
}

/** A valid profile without the password, e.g. a PUT body. */
export function validProfile(nick: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    nick,
    firstName: 'Ada',
    lastName: 'Lovelace',
    age: 30,
    platforms: ['pc'],
    games: [{ title: 'Rocket League', platform: 'pc', hoursPerWeek: 6, competitive: true, rank: 'Diamond II' }],
    region: 'eu',
    languages: ['en'],
    ...overrides,
  };
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  readonly body: unknown;
  readonly text: string;
}

export interface SendOptions {
  readonly body?: unknown;
  /** Sent as is, without JSON encoding. */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export async function send(baseUrl: string, method: string, path: string, options: SendOptions = {}): Promise<JsonResponse> {
  const hasJson = options.body !== undefined;
  const response = await fetch(baseUrl + path, {
    method,
    headers: { ...(hasJson ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: options.rawBody ?? (hasJson ? JSON.stringify(options.body) : null),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (e.g. /metrics): keep the text.
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** The fields of a problem+json body that tests look at. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly requestId?: string;
  readonly errors?: { pointer: string; detail: string }[];
}

/** Signs `nick` up and logs in: its token as request headers, and the created player's ETag. */
export async function signUp(baseUrl: string, nick: string, overrides: Record<string, unknown> = {}): Promise<{ auth: Record<string, string>; etag: string; token: string }> {
  const created = await send(baseUrl, 'POST', '/v1/players', { body: validPlayer(nick, overrides) });
  if (created.status !== 201) throw new Error(`sign-up of ${nick} failed: ${created.text}`);
  const token = await login(baseUrl, nick, typeof overrides.password === 'string' ? overrides.password : testPassword);
  return { auth: bearer(token), etag: created.headers.get('etag') ?? '', token };
}

export async function login(baseUrl: string, nick: string, password: string): Promise<string> {
  const response = await send(baseUrl, 'POST', '/v1/auth/token', { body: { nick, password } });
  if (response.status !== 200) throw new Error(`login of ${nick} failed: ${response.text}`);
  return (response.body as { token: string }).token;
}

export const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });
