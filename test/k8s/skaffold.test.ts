// skaffold.yaml: every file, image and Service it names exists and matches the chart; and the real
// skaffold reads it (every profile), renders the chart through the same checks as `helm template`, and
// builds the image with the local Docker engine without pushing.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import { findCommand, toolAvailable } from '../helpers/tools.ts';
import { helms, one, parseManifests, render, repoRoot, run } from '../chart/render.ts';
import { containersOf, imageProblem, podTemplates, restrictedViolations, validateManifest } from '../chart/kube.ts';

interface HelmRelease {
  name: string;
  chartPath: string;
  valuesFiles: string[];
  setValueTemplates: Record<string, string>;
}
interface SkaffoldConfig {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  build: { artifacts: { image: string; context?: string; docker: { dockerfile: string } }[]; local: { push: boolean }; platforms?: string[] };
  deploy: { helm: { releases: HelmRelease[] } };
  portForward: { resourceType: string; resourceName: string; port: number; localPort: number }[];
  profiles: { name: string; patches: { op: string; path: string; value?: unknown }[] }[];
}

const config = parse(await readFile(path.join(repoRoot, 'skaffold.yaml'), 'utf8')) as SkaffoldConfig;

/** Applies a profile's JSON patches the way skaffold does (add/replace on JSON pointers), on a copy. */
function applyProfile(base: SkaffoldConfig, name: string): SkaffoldConfig {
  const patched = structuredClone(base);
  const profile = base.profiles.find((p) => p.name === name);
  if (profile === undefined) throw new Error(`no profile ${name}`);
  for (const patch of profile.patches) {
    const keys = patch.path.split('/').slice(1).map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = keys.pop();
    if (last === undefined || !['add', 'replace'].includes(patch.op)) throw new Error(`unsupported patch ${JSON.stringify(patch)}`);
    let target: unknown = patched;
    for (const key of keys) target = (target as Record<string, unknown>)[key];
    if (typeof target !== 'object' || target === null) throw new Error(`patch path ${patch.path} does not exist`);
    if (patch.op === 'replace' && !(last in target)) throw new Error(`replace of missing ${patch.path}`);
    (target as Record<string, unknown>)[last] = patch.value;
  }
  delete (patched as Partial<SkaffoldConfig>).profiles;
  return patched;
}

/** skaffold's template variable suffix for an image name. */
function imageVariable(image: string): string {
  return image.replace(/[^A-Za-z0-9]/g, '_');
}

test('the built image, Dockerfile, chart and values files it names exist', (t) => {
  t.is(config.kind, 'Config');
  t.is(config.metadata.name, 'playerfinder');
  const [artifact] = config.build.artifacts;
  t.is(artifact?.image, 'playerfinder');
  const dockerfile = path.join(repoRoot, artifact?.context ?? '.', artifact?.docker.dockerfile ?? '');
  t.true(existsSync(dockerfile), `${dockerfile} referenced by skaffold.yaml is missing`);
  t.false(config.build.local.push, 'kind: images are loaded, not pushed');
  for (const candidate of [config, applyProfile(config, 'aks')]) {
    for (const release of candidate.deploy.helm.releases) {
      t.true(existsSync(path.join(repoRoot, release.chartPath, 'Chart.yaml')), release.chartPath);
      for (const file of release.valuesFiles) t.true(existsSync(path.join(repoRoot, file)), file);
    }
  }
});

test('the chart values are set from the image skaffold built, with IfNotPresent', (t) => {
  const [release] = config.deploy.helm.releases;
  const variable = imageVariable(config.build.artifacts[0]?.image ?? '');
  t.deepEqual(release?.setValueTemplates, {
    'image.repository': `{{.IMAGE_REPO_${variable}}}`,
    'image.tag': `{{.IMAGE_TAG_${variable}}}`,
    'image.pullPolicy': 'IfNotPresent',
  });
  t.deepEqual(release?.valuesFiles, ['chart/values-kind.yaml']);
});

test('the aks profile pushes linux/amd64 images, pins the digest and uses values-aks.yaml', (t) => {
  const aks = applyProfile(config, 'aks');
  t.true(aks.build.local.push);
  t.deepEqual(aks.build.platforms, ['linux/amd64']);
  const [release] = aks.deploy.helm.releases;
  t.deepEqual(release?.valuesFiles, ['chart/values-aks.yaml']);
  t.is(release?.setValueTemplates['image.digest'], `{{.IMAGE_DIGEST_${imageVariable(aks.build.artifacts[0]?.image ?? '')}}}`);
});

const helmBinaries = helms();

for (const helm of helmBinaries) {
  test(`${helm.label}: the port-forward names the API Service the release renders, and the set values land in the Deployment`, async (t) => {
    const [release] = config.deploy.helm.releases;
    const [forward] = config.portForward;
    const manifests = await render(helm, {
      release: release?.name ?? '',
      valuesFiles: release?.valuesFiles ?? [],
      set: ['image.repository=registry.local/playerfinder', 'image.tag=0123abcd', 'image.pullPolicy=IfNotPresent'],
    });
    t.is(forward?.resourceType, 'service');
    const service = one(manifests, 'Service', forward?.resourceName ?? '');
    t.true(service.spec?.ports?.some((p) => p.port === forward?.port));
    t.is(forward?.localPort, 8080);
    const container = one(manifests, 'Deployment', forward?.resourceName ?? '').spec?.template.spec?.containers[0];
    t.is(container?.image, 'registry.local/playerfinder:0123abcd');
  });
}

const skaffold = findCommand('SKAFFOLD_BIN', 'skaffold', ['version']);
const docker = findCommand('DOCKER_BIN', 'docker', ['info']);
const helm3 = helmBinaries.find((h) => h.label === 'helm3');
// skaffold's helm deployer needs helm 3 on PATH even to build.
if (toolAvailable(skaffold) && toolAvailable(docker) && helm3 !== undefined) {
  let home = '';
  // A throwaway HOME holding its global config: no usage metrics, no update check, no prompt, and no
  // kube-context. Helm 3 comes first on PATH for render.
  const skaffoldRun = (args: readonly string[]) =>
    run(skaffold.path, [...args, '--update-check=false', '--interactive=false'], {
      ...process.env,
      HOME: home,
      PATH: [path.dirname(helm3.path), process.env.PATH].join(path.delimiter),
      KUBECONFIG: path.join(home, 'kubeconfig'),
    });
  test.before(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'playerfinder-skaffold-'));
    await mkdir(path.join(home, '.skaffold'));
    await writeFile(path.join(home, '.skaffold', 'config'), 'global:\n  collect-metrics: false\n  update-check: false\n');
  });
  test.after.always(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('skaffold diagnose reads the config with every profile, and lists the image build inputs', async (t) => {
    for (const profile of [[], ['-p', 'aks'], ['-p', 'local-bases']]) {
      const result = await skaffoldRun(['diagnose', '--yaml-only', ...profile]);
      t.is(result.code, 0, `${profile.join(' ')}: ${result.stderr}`);
      t.is((parse(result.stdout) as SkaffoldConfig).apiVersion, 'skaffold/v4beta13');
    }
    // The full diagnose resolves the Dockerfile's base images, so it runs with the local ones.
    const result = await skaffoldRun(['diagnose', '-p', 'local-bases']);
    t.is(result.code, 0, result.stderr);
    t.regex(result.stdout, /Configuration version: skaffold\/v4beta13/);
    t.regex(result.stdout, /Number of artifacts: 1/);
  });

  test('skaffold render of a built image: helm 3 without --kube-version renders the chart, which passes the render checks', async (t) => {
    // The GitOps flow: `skaffold build --file-output F`, then `skaffold render --build-artifacts F`.
    const artifacts = path.join(home, 'render-artifacts.json');
    await writeFile(artifacts, JSON.stringify({ builds: [{ imageName: 'playerfinder', tag: 'playerfinder:0123abcd' }] }));
    const result = await skaffoldRun(['render', '--offline=true', '--digest-source=tag', '--build-artifacts', artifacts]);
    t.is(result.code, 0, result.stderr);
    const manifests = parseManifests(result.stdout, 'skaffold render');
    t.true(manifests.length > 0);
    for (const manifest of manifests) t.true(await validateManifest(manifest), `${manifest.kind} ${manifest.metadata.name}`);
    for (const { owner, spec } of podTemplates(manifests)) {
      t.deepEqual(restrictedViolations(spec), [], owner);
      for (const container of containersOf(spec)) t.is(imageProblem(container.image), undefined, `${owner} ${container.name}`);
    }
    t.is(one(manifests, 'Deployment', 'playerfinder').spec?.template.spec?.containers[0]?.image, 'playerfinder:0123abcd');
  });

  test('skaffold build -p local-bases builds the image with the local Docker engine and pushes nothing', async (t) => {
    const tags = async () => (await run(docker.path, ['image', 'ls', 'playerfinder', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter(Boolean);
    const before = new Set(await tags());
    const output = path.join(home, 'build.json');
    const result = await skaffoldRun(['build', '-p', 'local-bases', '--cache-artifacts=false', '--file-output', output]);
    // skaffold tags the image twice (its tag policy's tag and the image ID): remove the tags this build added.
    t.teardown(async () => {
      const added = (await tags()).filter((tag) => !before.has(tag));
      if (added.length > 0) await run(docker.path, ['image', 'rm', ...added]);
    });
    t.is(result.code, 0, result.stderr);
    const { builds } = JSON.parse(await readFile(output, 'utf8')) as { builds: { imageName: string; tag: string }[] };
    t.is(builds.length, 1);
    const [build] = builds;
    t.is(build?.imageName, 'playerfinder');
    t.regex(build?.tag ?? '', /^playerfinder:[0-9a-f]{64}$/, 'a local image ID, nothing pushed to a registry');
    const inspect = await run(docker.path, ['image', 'inspect', '--format', '{{.Config.User}}', build?.tag ?? '']);
    t.is(inspect.stdout.trim(), '65532:65532', 'the runtime image, built locally');
  });
}
