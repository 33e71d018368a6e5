// Valid players and a small JSON client for the API tests.

export function validPlayer(nick: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
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
