// The chart against a real API server: one control plane per test file, a namespace enforcing the
// restricted Pod Security level per test, helm 3 and 4 run against it, and what the server then holds.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { findCommand, toolAvailable } from '../helpers/tools.ts';
import { chartDir, parseManifests, run, valueArgs, type Helm, type Manifest, type RenderOptions, type RunResult } from '../chart/render.ts';

/**
 * Starts one control plane for the calling test file (before its tests, stopped after them), or returns
 * undefined when the binaries are missing outside CI.
 */
export function controlPlaneForThisFile(): (() => ControlPlane) | undefined {
  const etcd = findCommand('ETCD_BIN', 'etcd');
  const apiserver = findCommand('KUBE_APISERVER_BIN', 'kube-apiserver');
  const controllerManager = findCommand('KUBE_CONTROLLER_MANAGER_BIN', 'kube-controller-manager');
  if (!toolAvailable(etcd) || !toolAvailable(apiserver) || !toolAvailable(controllerManager)) return undefined;
  let plane: ControlPlane | undefined;
  test.before(async () => {
    plane = await startControlPlane({ etcd: etcd.path, apiserver: apiserver.path, controllerManager: controllerManager.path });
  });
  test.after.always(async () => {
    await plane?.stop();
  });
  return () => {
    if (plane === undefined) throw new Error('the control plane did not start');
    return plane;
  };
}

interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly ownerReferences?: readonly { readonly kind: string; readonly name: string }[];
}
interface Stored {
  readonly kind?: string;
  readonly metadata: ObjectMeta;
  readonly status?: Record<string, unknown>;
}
export interface KubeObject extends Stored {
  readonly spec?: Record<string, unknown>;
}
export interface PodObject extends Stored {
  readonly spec: IPodSpec;
}
export interface KubeEvent extends Stored {
  readonly reason: string;
  readonly message: string;
  readonly involvedObject: { readonly kind: string; readonly name: string };
}
export interface SecretObject extends Stored {
  readonly type: string;
  readonly data?: Record<string, string>;
}

/** Throws with the server's message unless the status is 2xx. */
export async function apiCall(plane: ControlPlane, method: string, apiPath: string, body?: unknown): Promise<unknown> {
  const response = await plane.api(method, apiPath, body);
  if (response.status < 200 || response.status > 299) throw new Error(`${method} ${apiPath}: ${String(response.status)} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** The items of a namespaced list, e.g. list(plane, ns, 'api/v1', 'pods'). */
export async function list<T extends Stored = KubeObject>(plane: ControlPlane, namespace: string, groupVersion: string, resource: string): Promise<T[]> {
  const prefix = groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}`;
  const body = (await apiCall(plane, 'GET', `${prefix}/namespaces/${namespace}/${resource}`)) as { items: T[] };
  return body.items;
}

/** A fresh namespace enforcing the restricted Pod Security Standard, with its `default` ServiceAccount in place. */
export async function restrictedNamespace(plane: ControlPlane, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await apiCall(plane, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } },
  });
  // Pods naming a ServiceAccount that does not exist yet are refused; the controller creates it.
  await waitUntil(`ServiceAccount default in ${name}`, async () => (await plane.api('GET', `/api/v1/namespaces/${name}/serviceaccounts/default`)).status === 200);
  return name;
}

export async function createSecret(plane: ControlPlane, namespace: string, name: string, stringData: Record<string, string>): Promise<void> {
  await apiCall(plane, 'POST', `/api/v1/namespaces/${namespace}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData });
}

/** Polls `check` every 250 ms until it is true; throws after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** Runs helm against the control plane (kubeconfig and discovery cache from its environment). */
export function helmOn(plane: ControlPlane, helm: Helm, args: readonly string[]): Promise<RunResult> {
  return run(helm.path, args, plane.env);
}

/** `helm install|upgrade RELEASE chart --namespace NS` with the values of a render scenario. */
export function releaseArgs(command: 'install' | 'upgrade', release: string, namespace: string, options: RenderOptions = {}): string[] {
  return [command, release, chartDir, '--namespace', namespace, ...valueArgs(options)];
}

/** Like helmOn, but a non-zero exit is an error that carries helm's stderr. */
export async function helmOk(plane: ControlPlane, helm: Helm, args: readonly string[]): Promise<string> {
  const result = await helmOn(plane, helm, args);
  if (result.code !== 0) throw new Error(`${helm.label} ${args.join(' ')} exited ${String(result.code)}: ${result.stderr}`);
  return result.stdout;
}

/** The objects of a release, as helm recorded them (`helm get manifest`). */
export async function releaseManifests(plane: ControlPlane, helm: Helm, release: string, namespace: string): Promise<Manifest[]> {
  return parseManifests(await helmOk(plane, helm, ['get', 'manifest', release, '--namespace', namespace]), `${helm.label} get manifest`);
}

/** The URL path of one object, from the server's discovery (so any kind, CRDs included, resolves). */
export async function objectPath(plane: ControlPlane, namespace: string, manifest: Manifest): Promise<string> {
  const prefix = manifest.apiVersion.includes('/') ? `/apis/${manifest.apiVersion}` : `/api/${manifest.apiVersion}`;
  const discovery = (await apiCall(plane, 'GET', prefix)) as { resources: { name: string; kind: string; namespaced: boolean }[] };
  const resource = discovery.resources.find((r) => r.kind === manifest.kind && !r.name.includes('/'));
  if (resource === undefined) throw new Error(`the server serves no ${manifest.kind} in ${manifest.apiVersion}`);
  return `${prefix}${resource.namespaced ? `/namespaces/${namespace}` : ''}/${resource.name}/${manifest.metadata.name}`;
}

export interface WorkloadState {
  /** "Deployment/name" or "StatefulSet/name" → the replicas it asks for and the Pods that exist for it. */
  readonly workloads: Record<string, { readonly replicas: number; readonly pods: number }>;
  readonly pods: readonly PodObject[];
  /** FailedCreate events: how a Pod Security (or any admission) refusal of a controller's Pod shows. */
  readonly failedCreate: readonly KubeEvent[];
}

async function workloadState(plane: ControlPlane, namespace: string): Promise<WorkloadState> {
  const [deployments, replicaSets, statefulSets, pods, events] = await Promise.all([
    list(plane, namespace, 'apps/v1', 'deployments'),
    list(plane, namespace, 'apps/v1', 'replicasets'),
    list(plane, namespace, 'apps/v1', 'statefulsets'),
    list<PodObject>(plane, namespace, 'v1', 'pods'),
    list<KubeEvent>(plane, namespace, 'v1', 'events'),
  ]);
  const ownedBy = (object: Stored, kind: string, name: string): boolean => (object.metadata.ownerReferences ?? []).some((o) => o.kind === kind && o.name === name);
  const workloads: Record<string, { replicas: number; pods: number }> = {};
  for (const deployment of deployments) {
    const sets = replicaSets.filter((rs) => ownedBy(rs, 'Deployment', deployment.metadata.name));
    const count = pods.filter((pod) => sets.some((rs) => ownedBy(pod, 'ReplicaSet', rs.metadata.name))).length;
    workloads[`Deployment/${deployment.metadata.name}`] = { replicas: Number(deployment.spec?.replicas), pods: count };
  }
  for (const statefulSet of statefulSets) {
    const count = pods.filter((pod) => ownedBy(pod, 'StatefulSet', statefulSet.metadata.name)).length;
    workloads[`StatefulSet/${statefulSet.metadata.name}`] = { replicas: Number(statefulSet.spec?.replicas), pods: count };
  }
  return { workloads, pods, failedCreate: events.filter((e) => e.reason === 'FailedCreate') };
}

/**
 * Waits until every Deployment and StatefulSet has as many Pods as replicas, or until a FailedCreate
 * event appears; returns what the namespace then holds.
 */
export async function settledWorkloads(plane: ControlPlane, namespace: string, timeoutMs = 30_000): Promise<WorkloadState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await workloadState(plane, namespace);
    const complete = Object.values(state.workloads).every((w) => w.pods === w.replicas);
    if (complete || state.failedCreate.length > 0 || Date.now() > deadline) return state;
    await sleep(250);
  }
}

/** The data of every Secret in the namespace except helm's own release records, by name. */
export async function secretData(plane: ControlPlane, namespace: string): Promise<Record<string, Record<string, string>>> {
  const secrets = await list<SecretObject>(plane, namespace, 'v1', 'secrets');
  return Object.fromEntries(secrets.filter((s) => s.type !== 'helm.sh/release.v1').map((s) => [s.metadata.name, s.data ?? {}]));
}
