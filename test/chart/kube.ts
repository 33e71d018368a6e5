// Offline checks of Kubernetes objects shared by the chart and k8s tests: API-schema validation with
// kubernetes-models, pod specs of any workload, Pod Security "restricted" and label selection.
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { Manifest } from './render.ts';

/** Custom resources with no kubernetes-models class; the tests that render them check their fields. */
export const unmodelledKinds: ReadonlySet<string> = new Set(['monitoring.coreos.com/v1/ServiceMonitor']);

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

/**
 * Validates an object against the Kubernetes OpenAPI schema of its apiVersion/kind (types, required
 * fields, enums; like the API server, the generated schemas do not reject unknown fields).
 * Returns false for an unmodelled custom resource; throws for an invalid object or an unknown kind.
 */
export async function validateManifest(manifest: Manifest): Promise<boolean> {
  const id = `${manifest.apiVersion}/${manifest.kind}`;
  if (unmodelledKinds.has(id)) return false;
  let module: Record<string, unknown>;
  try {
    module = (await import(`kubernetes-models/${id}`)) as Record<string, unknown>;
  } catch {
    throw new Error(`no kubernetes-models class for ${id} (${manifest.metadata.name}); add it to unmodelledKinds only if it is a CRD`);
  }
  const Model = module[manifest.kind];
  if (typeof Model !== 'function') throw new Error(`kubernetes-models/${id} exports no ${manifest.kind}`);
  try {
    new (Model as ModelClass)(manifest).validate();
  } catch (error) {
    throw new Error(`${id} ${manifest.metadata.name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return true;
}

export interface PodTemplate {
  readonly owner: string;
  readonly labels: Record<string, string>;
  readonly spec: IPodSpec;
}

/** The pod spec of every workload and bare Pod (including helm test hooks). */
export function podTemplates(manifests: readonly Manifest[]): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const m of manifests) {
    const owner = `${m.kind}/${m.metadata.name}`;
    if (m.kind === 'Pod') {
      templates.push({ owner, labels: m.metadata.labels ?? {}, spec: m.spec as IPodSpec });
    } else if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(m.kind)) {
      const template = (m.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: IPodSpec } }).template;
      templates.push({ owner, labels: template.metadata?.labels ?? {}, spec: template.spec });
    }
  }
  return templates;
}

export function containersOf(spec: IPodSpec): IContainer[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/**
 * Pod Security Standards "restricted" violations of one pod spec (empty when compliant), with the
 * container-over-pod precedence Kubernetes applies. readOnlyRootFilesystem is not part of the standard
 * but is required here for every container.
 */
export function restrictedViolations(spec: IPodSpec): string[] {
  const pod = spec.securityContext ?? {};
  const problems: string[] = [];
  if (spec.hostNetwork === true || spec.hostPID === true || spec.hostIPC === true) problems.push('uses host namespaces');
  for (const volume of spec.volumes ?? []) {
    if (volume.hostPath !== undefined) problems.push(`volume ${volume.name} is a hostPath`);
  }
  for (const c of containersOf(spec)) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot is not true`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) problems.push(`${where}: runAsUser is 0`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
    if (sc.privileged === true) problems.push(`${where}: privileged`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where}: capabilities do not drop ALL`);
    const added = (sc.capabilities?.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (added.length > 0) problems.push(`${where}: adds capabilities ${added.join(',')}`);
    const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${where}: seccompProfile is ${String(seccomp)}`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
  }
  return problems;
}

/** True when every key/value of `selector` is among `labels` (matchLabels semantics; an empty selector would select everything and is refused). */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/** Images must name an explicit tag (optionally with a digest), never `latest`. */
export function imageProblem(image: string | undefined): string | undefined {
  if (image === undefined || image === '') return 'no image';
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSegment = withoutDigest.split('/').at(-1) ?? '';
  const tag = lastSegment.includes(':') ? lastSegment.split(':')[1] : undefined;
  if (tag === undefined || tag === '') return `${image} has no tag`;
  if (tag === 'latest') return `${image} uses latest`;
  return undefined;
}

export function decodeBase64(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

/** A memory quantity (Mi, Gi, M, G or bytes) in MiB; NaN when absent or unknown. */
export function mebibytes(quantity: string | number | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(Mi|Gi|M|G)?$/.exec(String(quantity ?? ''));
  if (match === null) return Number.NaN;
  const factors: Record<string, number> = { Mi: 1, Gi: 1024, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20, '': 1 / 2 ** 20 };
  const factor = factors[match[2] ?? ''] ?? Number.NaN;
  return Number(match[1]) * factor;
}
