// Builds the OpenAPI 3.1 document from the route table and the zod schemas that validate requests.
import { z } from 'zod';
import type { Access } from './auth/caller.ts';
import { probePaths, probeStatus } from './http/probes.ts';
import { problem } from './http/responses.ts';
import { openApiPath, refusesEntityTags, type ResponseSpec, type RouteSpec } from './http/route.ts';

const jsonSchemaOptions = { target: 'draft-2020-12', unrepresentable: 'any' } as const;

/** A named schema becomes a $ref into components; an anonymous one is inlined. */
function schemaRef(schema: z.ZodType, io: 'input' | 'output'): unknown {
  const id = z.globalRegistry.get(schema)?.id;
  if (id !== undefined) return { $ref: `#/components/schemas/${id}` };
  return stripDialect(z.toJSONSchema(schema, { ...jsonSchemaOptions, io }));
}

/**
 * Schemas carry no $schema of their own: they are JSON Schema 2020-12, which OpenAPI 3.1's default
 * dialect includes, so the document names no other (Swagger UI warns about any non-default one).
 * Components are named by their key.
 */
function stripDialect(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** One OpenAPI parameter per property of a path or query schema. */
function schemaParameters(schema: z.ZodType, location: 'path' | 'query'): unknown[] {
  const json = z.toJSONSchema(schema, { ...jsonSchemaOptions, io: 'output' }) as { properties?: Record<string, Record<string, unknown>> };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return { name, in: location, required: location === 'path', ...(description === undefined ? {} : { description }), schema: propertySchema };
  });
}

const bearerScheme = 'bearerAuth';
const authProblem = (description: string): ResponseSpec => ({ ...problem(description), headers: ['WWW-Authenticate'] });

/** What a route's `access` means for its clients: the security requirement and the answers it adds. */
function accessDocumentation(access: Access | undefined): { security?: unknown[]; responses: Record<number, ResponseSpec> } {
  if (access === undefined) return { responses: {} };
  const invalidToken = authProblem('The bearer token is malformed, expired, wrongly signed or revoked');
  // An empty requirement makes the token optional (OpenAPI 3.1 §4.8.30).
  if (access === 'optional') return { security: [{}, { [bearerScheme]: [] }], responses: { 401: invalidToken } };
  return {
    security: [{ [bearerScheme]: [] }],
    responses: {
      401: authProblem('No bearer token, or one that is malformed, expired, wrongly signed or revoked'),
      403: authProblem(forbidden(access)),
    },
  };
}

function forbidden(access: Exclude<Access, 'optional'>): string {
  if ('player' in access) return access.operator === true ? 'A player this operation is not for (see its summary)' : 'The operator token, or a player this operation is not for (see its summary)';
  return access.operator === true ? 'Another player\'s token (the owner\'s or the operator token is needed)' : 'Another player\'s token';
}

/** Every route refuses query parameters it does not take (route.ts), so every route may answer 400. */
const unknownParameter = problem('A query parameter the operation does not take');

/** Writes on resources without an ETag refuse an If-Match that lists tags (route.ts). */
const noEntityTags: Record<number, ResponseSpec> = { 412: problem('If-Match lists entity tags; this resource has none (only If-Match: * holds)') };

function responseObjects(responses: Readonly<Record<number, ResponseSpec>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) => [
      status,
      {
        description: response.description,
        ...(response.headers === undefined ? {} : { headers: Object.fromEntries(response.headers.map((name) => [name, { schema: { type: 'string' } }])) }),
        ...(response.schema === undefined ? {} : { content: { [response.contentType ?? 'application/json']: { schema: schemaRef(response.schema, 'output') } } }),
      },
    ]),
  );
}

/** Answered by terminus (its bodies: lifecycle.ts), except with a query string: then by the app, as a 400. */
const probeBody = (status: string) => z.object({ status: z.literal(status) });
const probeResponses = {
  200: { description: 'OK', schema: probeBody(probeStatus.healthy) },
  400: problem('A query string: the health checks take none'),
  503: { description: 'Not ready / shutting down', schema: probeBody(probeStatus.unhealthy) },
};

function operation(route: RouteSpec): Record<string, unknown> {
  const access = accessDocumentation(route.access);
  const parameters = [
    ...(route.params === undefined ? [] : schemaParameters(route.params, 'path')),
    ...(route.query === undefined ? [] : schemaParameters(route.query, 'query')),
    ...(route.headers ?? []).map((header) => ({ name: header.name, in: 'header', required: false, description: header.description, schema: { type: 'string' } })),
  ];
  const responses = responseObjects({ 400: unknownParameter, ...access.responses, ...(refusesEntityTags(route) ? noEntityTags : {}), ...route.responses });
  const body = route.body;
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(access.security === undefined ? {} : { security: access.security }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(body === undefined
      ? {}
      : { requestBody: { required: true, content: Object.fromEntries(body.contentTypes.map((type) => [type, { schema: schemaRef(body.schema, 'input') }])) } }),
    responses,
  };
}

export function buildOpenApiDocument(routes: readonly RouteSpec[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    (paths[openApiPath(route.path)] ??= {})[route.method] = operation(route);
  }
  for (const [path, summary] of Object.entries(probePaths)) {
    paths[path] = { get: { operationId: path.slice(1), summary, tags: ['service'], responses: responseObjects(probeResponses) } };
  }
  const components = z.toJSONSchema(z.globalRegistry, { ...jsonSchemaOptions, uri: (id) => `#/components/schemas/${id}` });
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: 'Find other video-game players to play with.' },
    tags: [{ name: 'players' }, { name: 'auth' }, { name: 'lfg', description: 'Looking-for-group posts' }, { name: 'games' }, { name: 'service' }],
    paths,
    components: {
      securitySchemes: {
        [bearerScheme]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'From POST /v1/auth/token; the operator token also goes here' },
      },
      schemas: Object.fromEntries(Object.entries(components.schemas).map(([id, schema]) => [id, stripDialect(schema as Record<string, unknown>)])),
    },
  };
}
