// Service-level routes: identity, the original service's /status contract, the API description and metrics.
import { z } from 'zod';
import type { Metrics } from '../../metrics.ts';
import { sendJson } from '../json-response.ts';
import { defineRoute, type RouteSpec } from '../route.ts';

export interface ServiceInfo {
  readonly name: string;
  readonly version: string;
}

const serviceInfoSchema = z.object({ name: z.string(), version: z.string() }).meta({ id: 'ServiceInfo' });
const statusSchema = z.object({ status: z.literal('OK') }).meta({ id: 'Status' });

export function serviceRoutes(info: ServiceInfo, metrics: Metrics, openApiDocument: () => object): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/',
      operationId: 'serviceInfo',
      summary: 'Service name and version',
      tag: 'service',
      responses: { 200: { description: 'Name and version', schema: serviceInfoSchema } },
      handle: (ctx) => {
        sendJson(ctx, { name: info.name, version: info.version });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/status',
      operationId: 'status',
      summary: 'Always {"status":"OK"} while the process serves HTTP (the original service\'s contract)',
      tag: 'service',
      responses: { 200: { description: 'Serving', schema: statusSchema } },
      handle: (ctx) => {
        sendJson(ctx, { status: 'OK' });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'openApi',
      summary: 'This API described as OpenAPI 3.1',
      tag: 'service',
      responses: { 200: { description: 'OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
      handle: (ctx) => {
        sendJson(ctx, openApiDocument());
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics (text exposition format)',
      tag: 'service',
      responses: { 200: { description: 'Metrics', schema: z.string(), contentType: metrics.registry.contentType } },
      handle: async (ctx) => {
        // metrics() is async since prom-client 13; the exact Content-Type matters to Prometheus 3.
        ctx.body = await metrics.registry.metrics();
        ctx.set('Content-Type', metrics.registry.contentType);
      },
    }),
  ];
}
