// GET /docs over HTTP: a page and assets all served by the service, under a strict CSP, with bounded
// metrics labels. (docs-browser.test.ts drives the page in a real browser.)
import test from 'ava';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { send, type ProblemBody } from './helpers/players.ts';
import { parseExposition } from './helpers/prometheus.ts';

let api: TestApp;

test.before(async () => {
  api = await startTestApp('docs_page');
});

test.after.always(async () => {
  await api.close();
});

test('the page loads only same-origin assets, under a CSP that forbids inline code and other origins', async (t) => {
  const response = await send(api.url, 'GET', '/docs');
  t.is(response.status, 200);
  t.is(response.headers.get('content-type'), 'text/html; charset=utf-8');
  t.is(response.headers.get('x-content-type-options'), 'nosniff');
  const policy = response.headers.get('content-security-policy') ?? '';
  t.regex(policy, /default-src 'none'/);
  t.regex(policy, /script-src 'self'(;|$)/);
  t.regex(policy, /style-src 'self'(;|$)/);
  t.notRegex(policy, /unsafe-|https?:|\*/);

  const references = [...response.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
  t.true(references.length >= 3);
  t.false(/<script>|<style|style=/.test(response.text), 'no inline script or style');
  for (const reference of references) {
    t.true(reference.startsWith('/docs/'), reference);
    const asset = await fetch(api.url + reference);
    t.is(asset.status, 200, reference);
    t.true((await asset.arrayBuffer()).byteLength > 0, reference);
  }
});

test('assets carry their media types; anything else under /docs is a 404 problem', async (t) => {
  const types = { 'swagger-ui-bundle.js': 'text/javascript; charset=utf-8', 'swagger-ui.css': 'text/css; charset=utf-8', 'favicon-32x32.png': 'image/png' };
  for (const [asset, type] of Object.entries(types)) {
    const response = await fetch(`${api.url}/docs/${asset}`);
    await response.arrayBuffer();
    t.is(response.headers.get('content-type'), type, asset);
    t.is(response.headers.get('x-content-type-options'), 'nosniff', asset);
  }
  for (const path of ['/docs/index.html', '/docs/package.json', '/docs/..%2Fpackage.json', '/docs/swagger-ui.js.map', '/docs/toString']) {
    const response = await send(api.url, 'GET', path);
    t.is(response.status, 404, path);
    t.is(response.headers.get('content-type'), 'application/problem+json', path);
    t.is((response.body as ProblemBody).status, 404, path);
  }
});

// Serial: the other tests fetch real assets, whose 200s would add a series while this one counts.
test.serial('docs requests are labelled by route template, so unknown assets add no series', async (t) => {
  const routes = async () => {
    const samples = parseExposition(await (await fetch(`${api.url}/metrics`)).text());
    return samples.filter((sample) => sample.name === 'http_request_duration_seconds_count');
  };
  await send(api.url, 'GET', '/docs/warmup_missing');
  await send(api.url, 'GET', '/docs');
  await routes();
  const before = (await routes()).length;
  for (let index = 0; index < 100; index++) await send(api.url, 'GET', `/docs/missing_${String(index)}.js`);
  const after = await routes();
  t.is(after.length, before, JSON.stringify(after.map((sample) => sample.labels)));
  const labels = new Set(after.map((sample) => sample.labels.route));
  t.true(labels.has('/docs'));
  t.true(labels.has('/docs/:asset'));
  t.false([...labels].some((route) => route?.includes('missing_') === true));
});
