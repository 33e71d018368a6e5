// skaffold.yaml: valid against the published v4beta14 schema (also with the aks profile applied), and
// every file, image and Service it names exists and matches the chart.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { findFile, toolAvailable } from '../helpers/tools.ts';
import { helms, one, render, repoRoot } from '../chart/render.ts';

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

const schema = findFile('SKAFFOLD_SCHEMA');
if (toolAvailable(schema)) {
  test('skaffold.yaml (and its aks profile applied) is valid against the v4beta14 schema', async (t) => {
    // The published schema carries IDE-only keywords (preferredOrder, x-intellij-*), hence strict: false.
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(await readFile(schema.path, 'utf8')) as object);
    t.is(config.apiVersion, 'skaffold/v4beta14');
    for (const [name, candidate] of [['base', config], ['aks', applyProfile(config, 'aks')]] as const) {
      t.true(validate(candidate), `${name}: ${ajv.errorsText(validate.errors)}`);
    }
  });
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

for (const helm of helms()) {
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
