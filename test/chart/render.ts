// Runs helm (3 and 4) against the chart and parses what it renders, for the chart and k8s tests.
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { findCommand, toolAvailable } from '../helpers/tools.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const chartDir = fileURLToPath(new URL('../../chart', import.meta.url));
/** Pinned so renders do not depend on helm's built-in default (v1.20 in source builds, below kubeVersion). */
export const kubeVersion = '1.31.0';
export const releaseName = 'playerfinder';
export const namespace = 'games';

export interface Helm {
  readonly label: string;
  readonly path: string;
}

/** The helm binaries to test with. Each must report its own major version, so one binary cannot pose as both. */
export function helms(): readonly Helm[] {
  const wanted = [
    { label: 'helm3', envVar: 'HELM3_BIN', major: 'v3.' },
    { label: 'helm4', envVar: 'HELM4_BIN', major: 'v4.' },
  ];
  const found: Helm[] = [];
  for (const { label, envVar, major } of wanted) {
    let lookup = findCommand(envVar, 'helm', ['version']);
    if (lookup.path !== undefined) {
      const version = spawnSync(lookup.path, ['version', '--template', '{{.Version}}'], { encoding: 'utf8' }).stdout.trim();
      if (!version.startsWith(major)) lookup = { path: undefined, reason: `${lookup.path} is helm ${version}, not ${major}x (set ${envVar})` };
    }
    if (toolAvailable(lookup)) found.push({ label, path: lookup.path });
  }
  return found;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command from the repository root; resolves with its exit code instead of rejecting on failure. */
export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: repoRoot, env, maxBuffer: 32 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error === null) {
        resolve({ code: 0, stdout, stderr });
      } else if (typeof error.code === 'number') {
        resolve({ code: error.code, stdout, stderr });
      } else {
        // Not an exit status: the command could not start or was killed (timeout).
        reject(new Error(`${command} ${args.join(' ')}: ${error.message}`, { cause: error }));
      }
    });
  });
}

export interface RenderOptions {
  /** Values files, relative to the repository root. */
  readonly valuesFiles?: readonly string[];
  readonly set?: readonly string[];
  readonly setString?: readonly string[];
  /** Extra API versions the fake cluster reports (--api-versions). */
  readonly apiVersions?: readonly string[];
  readonly release?: string;
}

/** The value combinations the chart supports; every test file renders from this list. */
export const scenarios = {
  defaults: {},
  replicaSet: { set: ['mongodb.replicaCount=3'] },
  externalDatabase: { set: ['mongodb.enabled=false', 'externalDatabase.existingSecret=playerfinder-db', 'externalDatabase.uriKey=uri'] },
  existingSecret: { set: ['auth.existingSecret=my-mongodb-credentials', 'mongodb.replicaCount=3'] },
  kind: { valuesFiles: ['chart/values-kind.yaml'] },
  aks: { valuesFiles: ['chart/values-aks.yaml'] },
  serviceMonitor: { set: ['metrics.serviceMonitor.enabled=true'], apiVersions: ['monitoring.coreos.com/v1/ServiceMonitor'] },
} as const satisfies Record<string, RenderOptions>;
export type ScenarioName = keyof typeof scenarios;
export const scenarioNames = Object.keys(scenarios) as ScenarioName[];

/** The values flags of a render (also used by `helm install`/`upgrade` against a cluster). */
export function valueArgs(options: RenderOptions): string[] {
  return [
    ...(options.valuesFiles ?? []).flatMap((file) => ['--values', file]),
    ...(options.set ?? []).flatMap((value) => ['--set', value]),
    ...(options.setString ?? []).flatMap((value) => ['--set-string', value]),
  ];
}

export function templateArgs(options: RenderOptions): string[] {
  return [
    'template',
    options.release ?? releaseName,
    chartDir,
    '--namespace',
    namespace,
    '--kube-version',
    kubeVersion,
    ...valueArgs(options),
    ...(options.apiVersions ?? []).flatMap((version) => ['--api-versions', version]),
  ];
}

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

function isManifest(value: unknown): value is Manifest {
  if (typeof value !== 'object' || value === null) return false;
  const { apiVersion, kind, metadata } = value as Record<string, unknown>;
  return typeof apiVersion === 'string' && typeof kind === 'string' && typeof metadata === 'object' && metadata !== null && typeof (metadata as Record<string, unknown>).name === 'string';
}

/** Parses multi-document YAML into objects; a document that is not a Kubernetes object is an error. */
export function parseManifests(text: string, source: string): Manifest[] {
  const manifests: Manifest[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`${source}: ${document.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    if (!isManifest(value)) throw new Error(`${source}: a document is not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
    manifests.push(value);
  }
  return manifests;
}

export async function render(helm: Helm, options: RenderOptions): Promise<Manifest[]> {
  const result = await run(helm.path, templateArgs(options));
  if (result.code !== 0) throw new Error(`helm template failed (${String(result.code)}): ${result.stderr}`);
  return parseManifests(result.stdout, `${helm.label} template`);
}

const cache = new Map<string, Promise<Manifest[]>>();

/** Renders a named scenario once per helm binary and test file. */
export function renderScenario(helm: Helm, name: ScenarioName): Promise<Manifest[]> {
  const key = `${helm.path}\0${name}`;
  let rendered = cache.get(key);
  if (rendered === undefined) {
    rendered = render(helm, scenarios[name]);
    cache.set(key, rendered);
  }
  return rendered;
}

interface KindMap {
  ConfigMap: IConfigMap;
  Deployment: IDeployment;
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler;
  Ingress: IIngress;
  NetworkPolicy: INetworkPolicy;
  Pod: IPod;
  PodDisruptionBudget: IPodDisruptionBudget;
  Secret: ISecret;
  Service: IService;
  ServiceAccount: IServiceAccount;
  StatefulSet: IStatefulSet;
}

/** Every object of a kind, typed (the render test validates all of them against the API schemas). */
export function allOf<K extends keyof KindMap>(manifests: readonly Manifest[], kind: K): KindMap[K][] {
  return manifests.filter((m) => m.kind === kind) as unknown as KindMap[K][];
}

/** The one object of a kind and name; throws when it is missing. */
export function one<K extends keyof KindMap>(manifests: readonly Manifest[], kind: K, name: string): KindMap[K] {
  const found = allOf(manifests, kind).find((m) => m.metadata?.name === name);
  if (found === undefined) throw new Error(`no ${kind} named ${name} in: ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
  return found;
}

/** Object names for the default release name (`playerfinder`). */
export const names = {
  api: 'playerfinder',
  mongodb: 'playerfinder-mongodb',
  headless: 'playerfinder-mongodb-headless',
  secret: 'playerfinder-mongodb',
  authSecret: 'playerfinder-auth',
  scripts: 'playerfinder-mongodb-scripts',
  test: 'playerfinder-test',
} as const;

export interface WorkloadPod {
  readonly spec: IPodSpec;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** The pod template of the API Deployment or the MongoDB StatefulSet. */
export function workloadPod(manifests: readonly Manifest[], workload: 'api' | 'mongodb'): WorkloadPod {
  const template = workload === 'api' ? one(manifests, 'Deployment', names.api).spec?.template : one(manifests, 'StatefulSet', names.mongodb).spec?.template;
  if (template?.spec === undefined) throw new Error(`${workload} has no pod spec`);
  return { spec: template.spec, labels: template.metadata?.labels ?? {}, annotations: template.metadata?.annotations ?? {} };
}

/** One container (not init container) of that pod template. */
export function workloadContainer(manifests: readonly Manifest[], workload: 'api' | 'mongodb', name: string): IContainer {
  const container = workloadPod(manifests, workload).spec.containers.find((c) => c.name === name);
  if (container === undefined) throw new Error(`${workload} has no container ${name}`);
  return container;
}
