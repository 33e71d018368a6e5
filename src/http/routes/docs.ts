// GET /docs: Swagger UI over /openapi.json, every asset served by the service itself (clusters are often
// offline, so no CDN), under a Content-Security-Policy that allows nothing but this origin.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Context } from 'koa';
import { z } from 'zod';
import { notFound } from '../../errors.ts';
import { problem } from '../responses.ts';
import { defineRoute, type RouteSpec } from '../route.ts';

/**
 * No inline script or style, no eval, nothing from another origin; `data:` images are Swagger UI's
 * own icons, embedded in its stylesheet.
 */
const docsContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const page = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>playerfinder API</title>
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

// A file of its own because the CSP forbids inline scripts. validatorUrl null: no badge fetched from swagger.io.
const initScript = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null });
});
`;

const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

interface Asset {
  readonly contentType: string;
  readonly load: () => Promise<Buffer | string>;
}

const fromSwaggerUi = (file: string, contentType: string): Asset => ({ contentType, load: () => readFile(join(swaggerUiDir, file)) });

/** The only files /docs/:asset serves: a fixed list, so no path reaches the file system from a request. */
const assets: Readonly<Record<string, Asset>> = {
  'swagger-ui.css': fromSwaggerUi('swagger-ui.css', 'text/css; charset=utf-8'),
  'swagger-ui-bundle.js': fromSwaggerUi('swagger-ui-bundle.js', 'text/javascript; charset=utf-8'),
  'favicon-32x32.png': fromSwaggerUi('favicon-32x32.png', 'image/png'),
  'init.js': { contentType: 'text/javascript; charset=utf-8', load: () => Promise.resolve(initScript) },
};

export function docsRoutes(): RouteSpec[] {
  // Read on first request and kept: the bundle is 1.7 MB that a service nobody browses need not hold.
  const loaded = new Map<string, Promise<Buffer | string>>();
  return [
    defineRoute({
      method: 'get',
      path: '/docs',
      operationId: 'apiDocs',
      summary: 'This API in the browser (Swagger UI over /openapi.json)',
      tag: 'service',
      responses: { 200: { description: 'HTML page', schema: z.string(), contentType: 'text/html' } },
      handle: (ctx) => {
        send(ctx, 'text/html; charset=utf-8', page);
        ctx.set('Content-Security-Policy', docsContentSecurityPolicy);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs/:asset',
      operationId: 'apiDocsAsset',
      summary: 'A script, stylesheet or image of the /docs page',
      tag: 'service',
      params: z.strictObject({ asset: z.string().meta({ description: `One of ${Object.keys(assets).join(', ')}` }) }),
      responses: {
        200: { description: 'The file', schema: z.string(), contentType: '*/*' },
        404: problem('No such file'),
      },
      handle: async (ctx, { params: { asset } }) => {
        const found = Object.hasOwn(assets, asset) ? assets[asset] : undefined;
        if (found === undefined) throw notFound(`/docs has no file "${asset}".`);
        let body = loaded.get(asset);
        if (body === undefined) {
          body = found.load();
          loaded.set(asset, body);
        }
        send(ctx, found.contentType, await body);
      },
    }),
  ];
}

function send(ctx: Context, contentType: string, body: Buffer | string): void {
  ctx.type = contentType;
  ctx.body = body;
}
