// GET /docs in a real headless Chromium: the page loads with no console error (a CSP violation is one),
// lists every operation of /openapi.json, and "Try it out" of GET /v1/players gets a 200 from the service.
// The screenshot goes to $DOCS_SCREENSHOT when set (docs/api-docs.png is made that way), else a temp dir.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import puppeteer, { type Browser } from 'puppeteer-core';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { send, validPlayer } from './helpers/players.ts';
import { findCommand, toolAvailable } from './helpers/tools.ts';

/** The little of the DOM these checks read; the project compiles without the DOM library. */
interface DomNode {
  readonly textContent: string | null;
  querySelector(selector: string): DomNode | null;
  getAttribute(name: string): string | null;
}

const chromium = findCommand('CHROMIUM_BIN', '/usr/bin/chromium');

if (toolAvailable(chromium)) {
  const executablePath = chromium.path;
  let api: TestApp;
  let browser: Browser;
  let profileDir: string;

  test.before(async () => {
    api = await startTestApp('docs_browser');
    profileDir = await mkdtemp(join(tmpdir(), 'playerfinder-chromium-'));
    browser = await puppeteer.launch({
      executablePath,
      // headless:false, so that puppeteer adds no --headless of its own; the flag below chooses the mode.
      headless: false,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profileDir}`,
      ],
    });
  });

  test.after.always(async () => {
    await browser.close();
    await api.close();
    await rm(profileDir, { recursive: true, force: true });
  });

  test('the docs page lists every operation and "Try it out" of GET /v1/players answers 200', async (t) => {
    t.is((await send(api.url, 'POST', '/v1/players', { body: validPlayer('Docs_Reader') })).status, 201);
    const document = (await send(api.url, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));

    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1600 });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${String(response.status())}: ${response.url()}`);
    });

    const response = await page.goto(`${api.url}/docs`, { waitUntil: 'networkidle0' });
    t.is(response?.status(), 200);
    t.regex(response?.headers()['content-security-policy'] ?? '', /default-src 'none'/);
    await page.waitForSelector('.opblock');

    const listed = await page.$$eval('.opblock', (blocks: DomNode[]) =>
      blocks.map((block) => `${block.querySelector('.opblock-summary-method')?.textContent ?? ''} ${block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? ''}`),
    );
    t.deepEqual([...listed].sort(), [...documented].sort());
    // Swagger UI reports what it cannot read of the document (e.g. a non-default jsonSchemaDialect) in the page, not the console.
    t.deepEqual(await page.$$eval('.version-pragma, .errors-wrapper', (boxes: DomNode[]) => boxes.map((box) => box.textContent)), []);

    await page.click('#operations-players-searchPlayers .opblock-summary-control');
    await page.waitForSelector('#operations-players-searchPlayers .try-out__btn');
    await page.click('#operations-players-searchPlayers .try-out__btn');
    const searched = page.waitForResponse((answer) => new URL(answer.url()).pathname === '/v1/players');
    await page.click('#operations-players-searchPlayers .execute');
    t.is((await searched).status(), 200);
    await page.waitForSelector('#operations-players-searchPlayers .live-responses-table tbody .response-col_status');
    const shownStatus = await page.$eval('#operations-players-searchPlayers .live-responses-table tbody .response-col_status', (cell: DomNode) => cell.textContent?.trim());
    t.is(shownStatus, '200');
    t.true(await page.$eval('#operations-players-searchPlayers .live-responses-table', (table: DomNode) => table.textContent?.includes('Docs_Reader') === true));

    const screenshot = process.env.DOCS_SCREENSHOT ?? join(profileDir, 'api-docs.png');
    await page.screenshot({ path: screenshot });
    t.true((await stat(screenshot)).size > 10_000);
    t.deepEqual(problems, []);
  });
}
