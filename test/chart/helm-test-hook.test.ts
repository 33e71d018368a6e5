// The chart's `helm test` hook, run as the cluster would run it (its command under node, its env) against a
// running service: it passes when the service is ready and serves a search, and fails when it is not.
import test from 'ava';
import { closeIfStarted, startTestApp, type TestApp } from '../helpers/app.ts';
import { runCommand, type CommandResult } from '../helpers/run.ts';
import { helms, names, namespace, one, renderScenario, workloadContainer } from './render.ts';

/** Runs the hook container's command with this node, pointing BASE_URL at `baseUrl`. */
function runHook(command: readonly string[], env: Record<string, string>, baseUrl: string): Promise<CommandResult> {
  const [program, ...args] = command;
  if (program !== '/nodejs/bin/node') throw new Error(`the hook runs ${String(program)}, not the image's node`);
  return runCommand(process.execPath, args, { env: { ...env, BASE_URL: baseUrl }, timeoutMs: 30_000 });
}

let ready: TestApp | undefined;
let notReady: TestApp | undefined;

test.before(async () => {
  ready = await startTestApp('helm_test_hook');
  // Port 9 on loopback: nothing listens, so MongoDB is unreachable and /readyz answers 503.
  notReady = await startTestApp('helm_test_hook_down', { env: { MONGODB_URI: 'mongodb://127.0.0.1:9/down' }, waitUntilReady: false });
});

test.after.always(async () => {
  await closeIfStarted(ready);
  await closeIfStarted(notReady);
});

for (const helm of helms()) {
  test(`${helm.label}: the helm test hook passes against a ready service and fails against one that is not`, async (t) => {
    if (ready === undefined || notReady === undefined) throw new Error('the services did not start');
    const manifests = await renderScenario(helm, 'defaults');
    const pod = one(manifests, 'Pod', names.test);
    t.is(pod.metadata?.annotations?.['helm.sh/hook'], 'test');
    const container = pod.spec?.containers[0];
    t.is(container?.image, workloadContainer(manifests, 'api', 'api').image, 'no extra image to pull');
    const service = one(manifests, 'Service', names.api);
    const env = Object.fromEntries((container?.env ?? []).map((variable) => [variable.name, variable.value ?? '']));
    t.is(env.BASE_URL, `http://${names.api}.${namespace}.svc:${String(service.spec?.ports?.[0]?.port)}`, 'through the Service');

    const command = container?.command ?? [];
    const passing = await runHook(command, env, ready.url);
    t.is(passing.code, 0, passing.stdout + passing.stderr);
    t.regex(passing.stdout, /GET \/readyz -> 200/);
    t.regex(passing.stdout, /GET \/v1\/players\?limit=1 -> 200/);

    const failing = await runHook(command, env, notReady.url);
    t.not(failing.code, 0, failing.stdout + failing.stderr);
    t.regex(failing.stdout, /GET \/readyz -> 503/);
  });
}
