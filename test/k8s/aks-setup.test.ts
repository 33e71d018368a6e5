// k8s/aks/setup.sh, run for real with stand-ins for az, kubectl, helm, skaffold and docker on PATH that
// record their arguments: the steps of k8s/aks/README.md happen in order, with the names they are given,
// and the script stops at the first failing step.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { repoRoot } from '../chart/render.ts';
import { runCommand } from '../helpers/run.ts';

const tools = ['az', 'kubectl', 'helm', 'skaffold', 'docker'];
const names = { RESOURCE_GROUP: 'rg-test', LOCATION: 'northeurope', ACR_NAME: 'acrtest', CLUSTER_NAME: 'aks-test', NAMESPACE: 'pf-test', KEYVAULT_NAME: 'kv-test', INGRESS_HOST: 'players.example.org' };
const loginServer = `${names.ACR_NAME}.azurecr.io`;

/** A stand-in that appends its name and arguments (one per line) to $CALLS, and answers what the script reads. */
const stub = (tool: string) => `#!/usr/bin/env bash
# Reads a piped manifest to its end, as kubectl does; leaving it unread would SIGPIPE the writer.
if [ "${tool} $1 $2 $3" = "kubectl apply -f -" ]; then cat > /dev/null; fi
{ printf '%s\\n' '${tool}' "$@"; printf '\\0\\n'; } >> "$CALLS"
if [ -n "\${FAIL_ON:-}" ] && [[ "${tool} $*" == "$FAIL_ON"* ]]; then exit 1; fi
if [ "${tool} $1 $2" = "az acr show" ]; then
  while [ $# -gt 1 ]; do if [ "$1" = --name ]; then echo "$2.azurecr.io"; fi; shift; done
fi
if [ "${tool} $1" = "kubectl create" ]; then printf 'apiVersion: v1\\nkind: Namespace\\n'; fi
if [ "${tool} $1 $2 $3" = "az role assignment list" ] && [ -n "\${ASSIGNED:-}" ]; then echo /assignment/1; fi
exit 0
`;

interface SetupRun {
  readonly code: number;
  readonly output: string;
  /** Each call as [tool, ...args]. */
  readonly calls: string[][];
}

async function runSetup(t: ExecutionContext, env: Record<string, string>): Promise<SetupRun> {
  const folder = await mkdtemp(path.join(tmpdir(), 'playerfinder-aks-'));
  t.teardown(() => rm(folder, { recursive: true, force: true }));
  for (const tool of tools) {
    const file = path.join(folder, tool);
    await writeFile(file, stub(tool));
    await chmod(file, 0o755);
  }
  const calls = path.join(folder, 'calls');
  await writeFile(calls, '');
  const { code, stdout, stderr } = await runCommand('bash', [path.join(repoRoot, 'k8s/aks/setup.sh')], {
    env: { PATH: `${folder}:/usr/bin:/bin`, HOME: folder, CALLS: calls, ...names, ...env },
    timeoutMs: 30_000,
  });
  const recorded = (await readFile(calls, 'utf8')).split('\0\n').filter((call) => call !== '').map((call) => call.replace(/\n$/, '').split('\n'));
  return { code, output: stdout + stderr, calls: recorded };
}

/** A call of `tool` whose arguments contain each of `runs` as a consecutive run. */
const step = (tool: string, ...runs: string[][]) => (call: readonly string[]) =>
  call[0] === tool && runs.every((run) => call.slice(1).some((_, start) => run.every((arg, offset) => call[1 + start + offset] === arg)));

/** Asserts the steps happen in this order (other calls may come between them); returns their positions. */
function assertInOrder(t: ExecutionContext, calls: readonly string[][], steps: readonly [string, (call: readonly string[]) => boolean][]): number[] {
  const positions: number[] = [];
  let from = 0;
  for (const [what, matches] of steps) {
    const found = calls.findIndex((call, index) => index >= from && matches(call));
    t.true(found >= 0, `${what} (after step ${String(positions.length)}); calls:\n${calls.map((call) => call.join(' ')).join('\n')}`);
    positions.push(found);
    from = found + 1;
  }
  return positions;
}

const infrastructure: [string, (call: readonly string[]) => boolean][] = [
  ['resource group', step('az', ['group', 'create'], ['--name', names.RESOURCE_GROUP], ['--location', names.LOCATION])],
  ['registry', step('az', ['acr', 'create'], ['--resource-group', names.RESOURCE_GROUP], ['--name', names.ACR_NAME])],
  ['cluster with AcrPull, app routing and network policy', step('az', ['aks', 'create'], ['--resource-group', names.RESOURCE_GROUP], ['--name', names.CLUSTER_NAME], ['--attach-acr', names.ACR_NAME], ['--enable-app-routing'], ['--network-policy'])],
  ['kubectl credentials', step('az', ['aks', 'get-credentials'], ['--resource-group', names.RESOURCE_GROUP], ['--name', names.CLUSTER_NAME])],
  ['registry login before any push', step('az', ['acr', 'login'], ['--name', names.ACR_NAME])],
];

/** The chart's pinned mongo tag, which the registry import must name. */
const mongoTag = async () => /^ {4}tag: "(.+)"$/m.exec(await readFile(path.join(repoRoot, 'chart/values.yaml'), 'utf8'))?.[1] ?? 'missing';

/** After the pull check: the mongo image imported, the zone-redundant disk class, the Key Vault certificate for the Ingress. */
const clusterPrerequisites = (tag: string): [string, (call: readonly string[]) => boolean][] => [
  ['pull check', step('az', ['aks', 'check-acr'], ['--name', names.CLUSTER_NAME], ['--acr', loginServer])],
  ['mongo image imported into the registry', step('az', ['acr', 'import'], ['--name', names.ACR_NAME], ['--source', `docker.io/library/mongo:${tag}`], ['--image', `mongo:${tag}`])],
  ['zone-redundant disk class', step('kubectl', ['apply', '-f', 'k8s/aks/storageclass-zrs.yaml'])],
  ['key vault', step('az', ['keyvault', 'create'], ['--resource-group', names.RESOURCE_GROUP], ['--name', names.KEYVAULT_NAME])],
  ['certificate access on the RBAC vault', step('az', ['role', 'assignment', 'create'], ['--role', 'Key Vault Certificates Officer'], ['--assignee-principal-type', 'User'])],
  ['certificate', step('az', ['keyvault', 'certificate', 'create'], ['--vault-name', names.KEYVAULT_NAME], ['--name', 'playerfinder'])],
  ['key vault attached to app routing', step('az', ['aks', 'approuting', 'update'], ['--name', names.CLUSTER_NAME], ['--enable-kv'])],
];

/** helm install with the AKS values, the imported mongo image and the Ingress host and certificate secret. */
const installStep = step(
  'helm',
  ['upgrade', '--install', 'playerfinder', './chart'],
  ['--namespace', names.NAMESPACE],
  ['--values', 'chart/values-aks.yaml'],
  ['--set', `mongodb.image.repository=${loginServer}/mongo`],
  ['--set', `ingress.hosts[0].host=${names.INGRESS_HOST}`],
  ['--set', 'ingress.tls[0].secretName=keyvault-playerfinder'],
  ['--wait'],
);

test('setup.sh with skaffold: cluster, credentials, registry login, pull check, prerequisites, skaffold build, helm install and test', async (t) => {
  const run = await runSetup(t, {});
  t.is(run.code, 0, run.output);
  assertInOrder(t, run.calls, [
    ...infrastructure,
    ...clusterPrerequisites(await mongoTag()),
    ['build and push', step('skaffold', ['build'], ['--profile', 'aks'], ['--default-repo', loginServer])],
    ['install', installStep],
    ['smoke test', step('helm', ['test', 'playerfinder'], ['--namespace', names.NAMESPACE])],
  ]);
  t.false(run.calls.some(step('docker')), 'skaffold builds; no docker call of its own');
});

test('setup.sh with helm: the pushed image tag is the one installed, with the AKS values, in the namespace', async (t) => {
  const run = await runSetup(t, { DEPLOY_WITH: 'helm' });
  t.is(run.code, 0, run.output);
  const prerequisites = clusterPrerequisites(await mongoTag());
  const positions = assertInOrder(t, run.calls, [
    ...infrastructure,
    ...prerequisites,
    ['build and push for amd64', step('docker', ['buildx', 'build'], ['--platform', 'linux/amd64'], ['--push'])],
    ['install', installStep],
    ['smoke test', step('helm', ['test', 'playerfinder'], ['--namespace', names.NAMESPACE])],
  ]);
  const [push, install] = positions.slice(infrastructure.length + prerequisites.length);
  const pushed = run.calls[push ?? -1] ?? [];
  const image = pushed[pushed.indexOf('--tag') + 1] ?? '';
  t.regex(image, new RegExp(`^${loginServer.replaceAll('.', '\\.')}/playerfinder:\\S+$`));
  const installed = run.calls[install ?? -1] ?? [];
  t.true(step('helm', ['--set', `image.repository=${loginServer}/playerfinder`], ['--set', `image.tag=${image.split(':')[1] ?? ''}`])(installed), installed.join(' '));
  t.false(run.calls.some(step('skaffold')));
});

test('setup.sh stops at the first failing step', async (t) => {
  const run = await runSetup(t, { FAIL_ON: 'az aks create' });
  t.not(run.code, 0);
  const last = run.calls.at(-1) ?? [];
  t.deepEqual(last.slice(0, 3), ['az', 'aks', 'create']);
  // Only the up-front check of the Helm version ran before it.
  t.deepEqual(run.calls.filter((call) => ['kubectl', 'helm', 'skaffold', 'docker'].includes(call[0] ?? '')).map((call) => call.join(' ')), ['helm version --client']);
});

test('setup.sh with skaffold refuses a Helm that skaffold cannot use (Helm 4) before creating anything', async (t) => {
  const run = await runSetup(t, { FAIL_ON: 'helm version --client' });
  t.not(run.code, 0);
  t.regex(run.output, /skaffold needs Helm 3 first on PATH/);
  t.deepEqual(run.calls.map((call) => call.slice(0, 2).join(' ')), ['helm version']);
});

test('setup.sh goes on when the vault role is assigned already (a re-run), and stops when it cannot be assigned', async (t) => {
  const rerun = await runSetup(t, { FAIL_ON: 'az role assignment create', ASSIGNED: 'yes' });
  t.is(rerun.code, 0, rerun.output);
  t.true(rerun.calls.some(step('az', ['role', 'assignment', 'list'], ['--role', 'Key Vault Certificates Officer'])));
  const refused = await runSetup(t, { FAIL_ON: 'az role assignment create' });
  t.not(refused.code, 0);
  t.false(refused.calls.some(step('az', ['keyvault', 'certificate'])));
});

test('setup.sh refuses an unreadable TLS_PFX before creating anything', async (t) => {
  const run = await runSetup(t, { TLS_PFX: '/nonexistent/playerfinder.pfx' });
  t.not(run.code, 0);
  t.regex(run.output, /TLS_PFX=\/nonexistent\/playerfinder\.pfx is not a readable file/);
  t.deepEqual(run.calls, []);
});

test('setup.sh retries storing the certificate while the new role assignment propagates, and gives up with a message', async (t) => {
  const run = await runSetup(t, { FAIL_ON: 'az keyvault certificate create', KEYVAULT_RETRY_SECONDS: '0' });
  t.not(run.code, 0);
  t.is(run.calls.filter(step('az', ['keyvault', 'certificate', 'create'])).length, 10);
  t.regex(run.output, /could not store the certificate/);
});
