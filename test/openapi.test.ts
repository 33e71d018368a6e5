// /openapi.json comes from the same schemas that validate requests: every route is documented, every
// documented operation exists, and real responses validate against the documented schemas.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import test from 'ava';
import { closeIfStarted, startTestApp, type TestApp } from './helpers/app.ts';
import { send, signUp, validPlayer, validProfile, type ProblemBody } from './helpers/players.ts';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, object> };
}

let api: TestApp;
let document: OpenApiDocument;

test.before(async () => {
  api = await startTestApp('openapi');
  const response = await send(api.url, 'GET', '/openapi.json');
  document = response.body as OpenApiDocument;
});

test.after.always(() => closeIfStarted(api));

const operations = () =>
  Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));

test('the document is OpenAPI 3.1', (t) => {
  t.is(document.openapi, '3.1.0');
  t.true(Object.keys(document.components.schemas).includes('Player'));
});

/** The README's API table: each row's operations (`METHOD /path`, query left out) and the 4xx it lists. */
function readmeApiTable(): { operations: string[]; clientErrors: string[] }[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('\n## API\n'), readme.indexOf('\n## ', readme.indexOf('\n## API\n') + 1));
  return section.split('\n').filter((line) => line.startsWith('| `')).map((line) => {
    const [routes = '', , , errors = ''] = line.split(' | ');
    return {
      operations: [...routes.matchAll(/`([A-Z]+) ([^`?]+)/g)].map(([, method = '', path = '']) => `${method} ${path}`),
      clientErrors: [...errors.matchAll(/\b4\d\d\b/g)].map(([code]) => code),
    };
  });
}

test('the README lists every operation with exactly the 4xx its OpenAPI description documents', (t) => {
  const rows = readmeApiTable();
  t.true(rows.length >= 20);
  const rowOf = (operation: string) => {
    const [method = '', path = ''] = operation.split(' ');
    // Its own row, else the row of the closest enclosing path (GET /docs covers GET /docs/{asset}).
    const candidates = rows.filter((row) => row.operations.some((listed) => listed === operation || (listed.startsWith(`${method} `) && path.startsWith(`${listed.slice(method.length + 1)}/`))));
    return candidates.sort((a, b) => Math.max(...b.operations.map((x) => x.length)) - Math.max(...a.operations.map((x) => x.length)))[0];
  };
  const documented = new Map<(typeof rows)[number], Set<string>>();
  for (const operation of operations()) {
    const row = rowOf(operation);
    if (row === undefined) {
      t.fail(`${operation} is not in the README's API table`);
      continue;
    }
    const [method = '', path = ''] = operation.split(' ');
    const codes = Object.keys(document.paths[path]?.[method.toLowerCase()]?.responses ?? {}).filter((code) => code.startsWith('4'));
    documented.set(row, new Set([...(documented.get(row) ?? []), ...codes]));
  }
  for (const row of rows) t.deepEqual(row.clientErrors, [...(documented.get(row) ?? [])].sort(), row.operations.join(', '));
});

test('every route the router serves is documented', (t) => {
  const documented = new Set(operations());
  // HEAD and OPTIONS tell about the other operations rather than being operations.
  const served = api.app.router.stack.flatMap((layer) =>
    layer.methods.filter((method) => method !== 'HEAD' && method !== 'OPTIONS').map((method) => `${method} ${String(layer.path).replace(/:(\w+)/g, '{$1}')}`),
  );
  t.true(served.length >= 10);
  for (const operation of served) t.true(documented.has(operation), operation);
});

test('every documented operation exists on the running server and answers one of its documented statuses', async (t) => {
  const nick = 'doc_checker';
  const { auth } = await signUp(api.url, nick);
  const bodies: Record<string, unknown> = { POST: validPlayer('doc_checker_2'), PUT: validProfile(nick), PATCH: { age: 33 } };
  // DELETE last, so the other operations still find the player.
  const ordered = operations().sort((a, b) => Number(a.startsWith('DELETE')) - Number(b.startsWith('DELETE')));
  for (const operation of ordered) {
    const [method = '', path = ''] = operation.split(' ');
    const body = bodies[method];
    const response = await send(api.url, method, path.replace('{nick}', nick), { headers: auth, ...(body === undefined ? {} : { body }) });
    const documentedStatuses = Object.keys(document.paths[path]?.[method.toLowerCase()]?.responses ?? {});
    t.true(response.status < 500, `${operation}: ${String(response.status)} ${response.text.slice(0, 200)}`);
    t.true(documentedStatuses.includes(String(response.status)), `${operation} answered ${String(response.status)}, documented: ${documentedStatuses.join(', ')}`);
    t.false(response.status === 404 && (response.body as ProblemBody).detail.startsWith('Nothing is at'), operation);
  }
});

test('real responses validate against the documented schemas', async (t) => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  for (const [id, schema] of Object.entries(document.components.schemas)) ajv.addSchema(schema, `#/components/schemas/${id}`);
  const validate = (id: string, value: unknown) => {
    const check = ajv.getSchema(`#/components/schemas/${id}`);
    if (check === undefined) throw new Error(`no schema ${id}`);
    t.true(check(value), `${id}: ${ajv.errorsText(check.errors)}`);
  };
  validate('Player', (await send(api.url, 'POST', '/v1/players', { body: validPlayer('schema_check', { bio: 'hi' }) })).body);
  validate('PlayerPage', (await send(api.url, 'GET', '/v1/players?limit=5')).body);
  validate('GameStats', (await send(api.url, 'GET', '/v1/games')).body);
  await send(api.url, 'POST', '/v1/players', { body: validPlayer('schema_match') });
  validate('MatchPage', (await send(api.url, 'GET', '/v1/players/schema_check/matches')).body);
  const lfgPost = { game: 'Chess', platform: 'pc', region: 'eu', languages: ['en'], competitive: false, rank: 'A', slots: 2, startsAt: new Date(Date.now() + 3_600_000).toISOString(), note: 'hi' };
  validate('LfgPostInput', lfgPost);
  const { auth } = await signUp(api.url, 'schema_lfg', { contact: 'schema#0001' });
  validate('LfgPost', (await send(api.url, 'POST', '/v1/lfg', { body: lfgPost, headers: auth })).body);
  validate('LfgPage', (await send(api.url, 'GET', '/v1/lfg', { headers: auth })).body);
  validate('Problem', (await send(api.url, 'POST', '/v1/players', { body: { nick: 1 } })).body);
  validate('Status', (await send(api.url, 'GET', '/status')).body);
  validate('SignUp', validPlayer('input_check'));
  validate('PlayerInput', validProfile('input_check'));
  const invalid = ajv.getSchema('#/components/schemas/SignUp');
  t.false(invalid?.(validPlayer('input_check', { age: 5 })), 'the documented schema rejects what the API rejects');
  t.false(invalid?.(validPlayer('input_check', { password: 'short' })), 'and a password too short');
});
