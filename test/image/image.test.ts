// Builds the production image from the repo's Dockerfile and checks it the way a container runtime sees
// it: serving with Mongo on a read-only root filesystem, non-root user, SIGTERM draining an in-flight
// request to exit 0, no dev/host files in the layers, OCI metadata and a shell-less HEALTHCHECK.
// Needs docker (classic builder), both base images (pullable or present, e.g. the stand-ins from
// shared/tools/make-standin-bases.sh) and MONGODB_URI; outside CI a missing one skips the file.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { databaseUri, uniqueDatabaseName } from '../helpers/mongo.ts';
import { freePort, startSlowPost } from '../helpers/net.ts';
import { send, validPlayer } from '../helpers/players.ts';
import { RawConnection } from '../helpers/raw-http.ts';
import { findCommand, toolAvailable } from '../helpers/tools.ts';
import type { ToolLookup } from '../helpers/tools.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILD_IMAGE = process.env.PLAYERFINDER_BUILD_IMAGE ?? 'node:24-bookworm-slim';
const RUNTIME_IMAGE = process.env.PLAYERFINDER_RUNTIME_IMAGE ?? 'gcr.io/distroless/nodejs24-debian12:nonroot';
const TAG = `playerfinder:test-${process.pid}`;
// Marks the image and every container of this run, so leftovers are findable by label, never by wiping Docker.
const RUN_LABEL = `playerfinder.image-test=${process.pid}`;
const REVISION = `image-test-${process.pid}`;
const CREATED = new Date().toISOString();
const SOURCE = 'https://example.com/playerfinder.git';
const APP_USER = '65532:65532';
const NODE = '/nodejs/bin/node';
// docker stop grace period; must exceed SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS given to the container.
const GRACE_SECONDS = 15;
const SHUTDOWN_ENV = { SHUTDOWN_DELAY_MS: '1000', SHUTDOWN_TIMEOUT_MS: '5000' };
const READ_ONLY = ['--read-only', '--tmpfs', '/tmp'];
// Everything above the runtime base: dist + production node_modules. Dev deps alone would blow it.
const APP_LAYERS_BUDGET_BYTES = 40 * 1024 * 1024;
interface PackageJson {
  readonly version: string;
  readonly description: string;
  readonly license: string;
}
interface PackageLock {
  readonly packages: Record<string, { readonly dev?: boolean; readonly devOptional?: boolean }>;
}
interface ImageConfig {
  readonly User: string;
  readonly Env: readonly string[];
  readonly Entrypoint: readonly string[] | null;
  readonly Cmd: readonly string[] | null;
  readonly WorkingDir: string;
  readonly Healthcheck?: { readonly Test: readonly string[] };
  readonly Labels: Record<string, string> | null;
}
interface Container {
  readonly id: string;
  readonly port: number;
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as PackageLock;

/** Docker with both base images, as a lookup so toolAvailable fails in CI / skips locally. */
function dockerWithBaseImages(): ToolLookup {
  const docker = findCommand('DOCKER_BIN', 'docker', ['info']);
  if (docker.path === undefined) return docker;
  const dockerBin = docker.path;
  // Present locally or pullable; this machine has no registry, so the official defaults count as missing.
  const missing = [BUILD_IMAGE, RUNTIME_IMAGE].filter(
    (image) =>
      spawnSync(dockerBin, ['image', 'inspect', image], { stdio: 'ignore' }).status !== 0 &&
      spawnSync(dockerBin, ['pull', image], { stdio: 'ignore', timeout: 300_000 }).status !== 0,
  );
  if (missing.length > 0) {
    return {
      path: undefined,
      reason: `base image not present and not pullable: ${missing.join(', ')} (set PLAYERFINDER_BUILD_IMAGE / PLAYERFINDER_RUNTIME_IMAGE)`,
    };
  }
  return docker;
}

/** The MongoDB server the containers use, in the same lookup shape. */
function mongoServer(): ToolLookup {
  const uri = process.env.MONGODB_URI;
  if (uri === undefined || uri === '') return { path: undefined, reason: 'MONGODB_URI is not set' };
  return { path: uri, reason: '' };
}

function registerSuite(dockerBin: string, mongoUri: string): void {
  const execFileAsync = promisify(execFile);
  const containers: string[] = [];
  const databases: string[] = [];

  async function docker(...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync(dockerBin, args, {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  }

  async function inspect(format: string, target: string): Promise<string> {
    return docker('inspect', '-f', format, target);
  }

  /** `docker run -d` on the host network (Mongo and the test stay on loopback) with a per-test database. */
  async function runContainer(extraArgs: readonly string[] = [], env: Record<string, string> = {}): Promise<Container> {
    const port = await freePort();
    const database = uniqueDatabaseName('image_test');
    databases.push(database);
    const envArgs = Object.entries({ AUTH_SECRET: 'image-test-signing-key-at-least-32-bytes', ...env, PORT: String(port), MONGODB_URI: await databaseUri(database) }).flatMap(
      ([key, value]) => ['-e', `${key}=${value}`],
    );
    const id = await docker('run', '-d', '--network', 'host', '--label', RUN_LABEL, ...extraArgs, ...envArgs, TAG);
    containers.push(id);
    return { id, port };
  }

  /** A keep-alive connection that got its answer from /status, retried while the container starts. */
  async function holdConnection(port: number): Promise<RawConnection> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const connection = await RawConnection.open(port).catch(() => undefined);
      if (connection !== undefined) {
        await connection.write('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n').catch(() => undefined);
        if ((await connection.response().catch(() => undefined))?.status === 200) return connection;
        connection.destroy();
      }
      if (Date.now() > deadline) throw new Error(`no connection to port ${String(port)} got an answer`);
      await sleep(250);
    }
  }

  /** Polls /readyz (Mongo ping) until 200; fails early with the logs if the container exits. */
  async function waitReady(container: Container): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${container.port}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) return;
      const running = await inspect('{{.State.Running}}', container.id);
      if (running !== 'true' || Date.now() > deadline) {
        const logs = await docker('logs', '--tail', '50', container.id).catch((error: unknown) => String(error));
        throw new Error(`not ready (last /readyz status ${status}, running=${running}); logs:\n${logs}`);
      }
      await sleep(250);
    }
  }

  /** Every path in the container's filesystem, as `tar -t` lists it (directories end in /). */
  async function filesystemPaths(id: string): Promise<Set<string>> {
    const exporter = spawn(dockerBin, ['export', id], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lister = spawn('tar', ['-t'], { stdio: ['pipe', 'pipe', 'inherit'] });
    exporter.stdout.pipe(lister.stdin);
    let listing = '';
    lister.stdout.setEncoding('utf8').on('data', (text: string) => (listing += text));
    const [[exportCode], [tarCode]] = (await Promise.all([once(exporter, 'close'), once(lister, 'close')])) as [
      [number | null],
      [number | null],
    ];
    if (exportCode !== 0 || tarCode !== 0) throw new Error(`docker export exited ${exportCode}, tar -t exited ${tarCode}`);
    return new Set(listing.split('\n').filter((line) => line !== ''));
  }

  /** Polls the HEALTHCHECK status while it is "starting"; logs the probe history unless healthy. */
  async function waitForHealth(t: ExecutionContext, id: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let status = await inspect('{{.State.Health.Status}}', id);
    while (status === 'starting' && Date.now() < deadline) {
      await sleep(1000);
      status = await inspect('{{.State.Health.Status}}', id);
    }
    if (status !== 'healthy') t.log(await inspect('{{json .State.Health}}', id));
    return status;
  }

  test.before('build the image', async (t) => {
    t.timeout(600_000);
    const started = performance.now();
    const output = await docker(
      'build',
      '--force-rm',
      ...['--build-arg', `BUILD_IMAGE=${BUILD_IMAGE}`, '--build-arg', `RUNTIME_IMAGE=${RUNTIME_IMAGE}`],
      ...['--build-arg', `VERSION=${pkg.version}`, '--build-arg', `REVISION=${REVISION}`, '--build-arg', `CREATED=${CREATED}`, '--build-arg', `SOURCE=${SOURCE}`],
      ...['--label', RUN_LABEL, '-t', TAG, ROOT],
    );
    const context = /^Sending build context to Docker daemon\s+(.*)$/m.exec(output)?.[1] ?? '?';
    t.log(`built ${TAG} in ${((performance.now() - started) / 1000).toFixed(1)} s (build context ${context})`);
  });

  test.after.always('remove containers, image and test databases', async () => {
    if (containers.length > 0) await docker('rm', '-f', ...containers);
    // Only the tag: the untagged build-stage images are the classic builder's cache for the next run.
    // Absent when the build itself failed; that failure is already reported by the before hook.
    if ((await docker('image', 'ls', '-q', TAG)) !== '') await docker('rmi', TAG);
    const client = new MongoClient(mongoUri, { serverSelectionTimeoutMS: 5000 });
    try {
      for (const database of databases) await client.db(database).dropDatabase();
    } finally {
      await client.close();
    }
  });

  test('serves /readyz and a player round trip with a read-only root filesystem', async (t) => {
    const container = await runContainer(READ_ONLY);
    await waitReady(container);
    const base = `http://127.0.0.1:${container.port}`;

    const created = await send(base, 'POST', '/v1/players', { body: validPlayer('img_tester') });
    t.is(created.status, 201, created.text);
    const location = created.headers.get('location');
    t.is(location, '/v1/players/img_tester');

    const fetched = await send(base, 'GET', location ?? '');
    t.is(fetched.status, 200);
    t.is((fetched.body as { nick?: unknown }).nick, 'img_tester');

    // The image keeps only the swagger-ui-dist files /docs serves: each of them is there.
    for (const asset of ['/docs', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs/favicon-32x32.png']) {
      t.is((await fetch(base + asset)).status, 200, asset);
    }
  });

  test('seeds the demo players with dist/seed.js beside the running service, as kubectl exec would', async (t) => {
    const container = await runContainer(READ_ONLY);
    await waitReady(container);
    // The container's own environment (MONGODB_URI) reaches the exec'd process, as the pod's does.
    // A few players: each sign-up hashes a password.
    const output = await docker('exec', container.id, NODE, 'dist/seed.js', '--players', '10');
    const summary = output.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'demo players seeded');
    t.like(summary, { created: 10, alreadyThere: 0 });
    const page = await send(`http://127.0.0.1:${container.port}`, 'GET', '/v1/players?limit=5');
    t.is((page.body as { items: unknown[] }).items.length, 5);
  });

  test('runs as the numeric non-root user 65532', async (t) => {
    t.is(await inspect('{{.Config.User}}', TAG), APP_USER);
    const container = await runContainer();
    await waitReady(container);
    // docker top asks the daemon for the real process table, so it also holds for a remote DOCKER_HOST
    // (it needs the pid column to map processes to the container).
    const [header, ...rows] = (await docker('top', container.id, '-o', 'uid,pid')).split('\n');
    t.regex(header ?? '', /^UID\s+PID/);
    t.true(rows.length > 0);
    for (const row of rows) t.regex(row, /^[1-9]\d*\s/, `process uid must be numeric and non-zero: ${row}`);
  });

  test('docker stop lets an in-flight request finish and exits 0 within the grace period', async (t) => {
    const container = await runContainer(READ_ONLY, SHUTDOWN_ENV);
    await waitReady(container);
    const slow = await startSlowPost(container.port, '/v1/players', JSON.stringify(validPlayer('img_slow')));
    // Let the server parse the headers: the request is then in flight, not an idle connection.
    await sleep(200);
    const stopStarted = performance.now();
    const stopped = docker('stop', '-t', String(GRACE_SECONDS), container.id);
    await sleep(1500);
    slow.finish();
    const response = await slow.response;
    await stopped;
    const seconds = (performance.now() - stopStarted) / 1000;

    t.regex(response, /^HTTP\/1\.1 201 /, response);
    // 0, not 143 (terminus re-raising SIGTERM) or 137 (SIGKILL after the grace period).
    t.is(await inspect('{{.State.ExitCode}}', container.id), '0');
    t.true(seconds < GRACE_SECONDS, `docker stop took ${seconds} s`);
    t.log(`docker stop -t ${GRACE_SECONDS} returned after ${seconds.toFixed(1)} s with the request answered`);
  });

  test('ships only dist, production node_modules and package.json, within the size budget', async (t) => {
    const id = await docker('create', '--label', RUN_LABEL, TAG);
    containers.push(id);
    const paths = await filesystemPaths(id);

    const appEntries = new Set([...paths].filter((p) => p.startsWith('app/') && p !== 'app/').map((p) => p.split('/')[1]));
    t.deepEqual([...appEntries].sort(), ['dist', 'node_modules', 'package.json']);
    t.true(paths.has('app/dist/main.js'));

    // Every package the lockfile marks dev-only (typescript, ava, eslint and their trees) must be absent, and so
    // must those that are there only for a dev tool or as an optional extra (the driver's AWS and Kerberos peers).
    const devOnly = Object.entries(lock.packages)
      .filter(([key, entry]) => key !== '' && (entry.dev === true || entry.devOptional === true))
      .map(([key]) => `app/${key}/`);
    for (const name of ['typescript', 'ava', 'eslint', '@aws-sdk/credential-providers']) t.true(devOnly.includes(`app/node_modules/${name}/`), name);
    t.deepEqual(
      devOnly.filter((dir) => paths.has(dir)),
      [],
    );

    // Host secrets and repo metadata, anywhere outside the npm-installed tree.
    const leaked = [...paths].filter(
      (p) => !p.includes('/node_modules/') && /(^|\/)(\.env(\.[^/]*)?|\.git|\.npmrc|\.dockerignore|Dockerfile)\/?$/.test(p),
    );
    t.deepEqual(leaked, []);

    const imageBytes = Number(await inspect('{{.Size}}', TAG));
    const baseBytes = Number(await inspect('{{.Size}}', RUNTIME_IMAGE));
    const layers = (await docker('history', '--human=false', '--no-trunc', '--format', '{{.Size}}\t{{.CreatedBy}}', TAG))
      .split('\n')
      .filter((row) => row.includes(' COPY '));
    const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
    t.log(`image ${mb(imageBytes)} = runtime base ${mb(baseBytes)} + app ${mb(imageBytes - baseBytes)}`);
    for (const row of layers) {
      const [size = '0', createdBy = ''] = row.split('\t');
      // "/bin/sh -c #(nop) COPY dir:<sha> in ./dist" -> "./dist"
      t.log(`  ${(Number(size) / 1e3).toFixed(1).padStart(9)} kB  ${createdBy.replace(/^.* in /, '').trim()}`);
    }
    t.true(imageBytes - baseBytes < APP_LAYERS_BUDGET_BYTES, `app layers ${mb(imageBytes - baseBytes)} over budget`);
  });

  test('has OCI labels, exec-form entrypoint and a shell-less HEALTHCHECK that turns healthy, on HEALTH_PORT while PORT is full', async (t) => {
    const config = JSON.parse(await inspect('{{json .Config}}', TAG)) as ImageConfig;
    t.deepEqual(config.Entrypoint, [NODE]);
    t.deepEqual(config.Cmd, ['--max-semi-space-size=16', 'dist/main.js']);
    t.is(config.WorkingDir, '/app');
    t.true(config.Env.includes('NODE_ENV=production'));
    t.deepEqual(config.Healthcheck?.Test.slice(0, 2), ['CMD', NODE]);
    t.like(config.Labels ?? {}, {
      'org.opencontainers.image.title': 'playerfinder',
      'org.opencontainers.image.description': pkg.description,
      'org.opencontainers.image.version': pkg.version,
      'org.opencontainers.image.revision': REVISION,
      'org.opencontainers.image.created': CREATED,
      'org.opencontainers.image.licenses': pkg.license,
      'org.opencontainers.image.source': SOURCE,
    });

    // The one connection PORT allows is held: a check on PORT would fail, one on HEALTH_PORT passes.
    const container = await runContainer(READ_ONLY, { HEALTH_PORT: String(await freePort()), HTTP_MAX_CONNECTIONS: '1' });
    const held = await holdConnection(container.port);
    t.teardown(() => { held.destroy(); });
    const started = performance.now();
    // First probe runs one interval (10 s) after start; allow three.
    const status = await waitForHealth(t, container.id, 35_000);
    t.is(status, 'healthy');
    t.log(`healthy after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });

  test('with HEALTH_PORT=0 (a port picked at start, unknown to the check) the HEALTHCHECK uses PORT, and turns healthy', async (t) => {
    const container = await runContainer(READ_ONLY, { HEALTH_PORT: '0' });
    t.is(await waitForHealth(t, container.id, 35_000), 'healthy');
  });
}

const docker = dockerWithBaseImages();
const mongo = mongoServer();
if (toolAvailable(docker) && toolAvailable(mongo)) registerSuite(docker.path, mongo.path);
