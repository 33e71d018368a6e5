// Everything under k8s/: Kubernetes manifests validated like the chart output, the kind cluster config
// and kustomizations checked structurally, and the Grafana dashboard's PromQL against the exported metrics
// (k8s/aks/setup.sh runs in aks-setup.test.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { parse, parseAllDocuments } from 'yaml';
import { exportedMetricNames } from '../helpers/exported-metrics.ts';
import { repoRoot } from '../chart/render.ts';
import type { Manifest } from '../chart/render.ts';
import { containersOf, imageProblem, podTemplates, restrictedViolations, selects, validateManifest } from '../chart/kube.ts';
import { metricNames } from './promql.ts';

const k8sDir = path.join(repoRoot, 'k8s');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
}

interface Document {
  readonly file: string;
  readonly value: Record<string, unknown>;
}

const documents: Document[] = yamlFiles(k8sDir).flatMap((file) =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return { file: path.relative(repoRoot, file), value: doc.toJS() as Record<string, unknown> };
  }),
);

/** Files that configure tools rather than the cluster; each gets its own structural test below. */
const isKindConfig = (d: Document) => d.value.apiVersion === 'kind.x-k8s.io/v1alpha4';
const isKustomization = (d: Document) => d.value.kind === 'Kustomization';
const manifests = documents.filter((d) => !isKindConfig(d) && !isKustomization(d)).map((d) => d.value as unknown as Manifest);

test('k8s/ holds the expected files', (t) => {
  const files = new Set(documents.map((d) => d.file));
  for (const file of ['k8s/kind-cluster.yaml', 'k8s/prometheus/deployment.yaml', 'k8s/prometheus/configmap.yaml', 'k8s/prometheus/rbac.yaml', 'k8s/grafana/kustomization.yaml']) {
    t.true(files.has(file), file);
  }
});

test('every Kubernetes manifest validates against its API schema', async (t) => {
  t.true(manifests.length >= 7);
  for (const manifest of manifests) t.true(await validateManifest(manifest), `${manifest.kind} ${manifest.metadata.name}`);
});

test('Prometheus: pinned image, restricted pods, RBAC wired to its ServiceAccount, Service selects it', (t) => {
  const pods = podTemplates(manifests);
  t.true(pods.length > 0);
  for (const pod of pods) {
    for (const c of containersOf(pod.spec)) t.is(imageProblem(c.image), undefined, `${pod.owner} ${c.name}`);
    t.deepEqual(restrictedViolations(pod.spec), [], pod.owner);
  }
  const prometheus = pods.find((p) => p.owner === 'Deployment/prometheus');
  const account = manifests.find((m) => m.kind === 'ServiceAccount' && m.metadata.name === prometheus?.spec.serviceAccountName);
  t.truthy(account);
  const binding = manifests.find((m) => m.kind === 'ClusterRoleBinding') as (Manifest & { roleRef: { name: string }; subjects: { name: string; namespace: string }[] }) | undefined;
  t.true(manifests.some((m) => m.kind === 'ClusterRole' && m.metadata.name === binding?.roleRef.name));
  t.deepEqual(binding?.subjects.map((s) => [s.name, s.namespace]), [[account?.metadata.name, (account?.metadata as { namespace?: string } | undefined)?.namespace]]);
  const service = manifests.find((m) => m.kind === 'Service' && m.metadata.name === 'prometheus');
  t.true(selects((service?.spec as { selector?: Record<string, string> } | undefined)?.selector, prometheus?.labels ?? {}));
});

test('Prometheus config discovers pods through the prometheus.io annotations the chart sets', (t) => {
  const configMap = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'prometheus-config') as (Manifest & { data: Record<string, string> }) | undefined;
  const config = parse(configMap?.data['prometheus.yml'] ?? '') as {
    scrape_configs: { kubernetes_sd_configs: { role: string }[]; relabel_configs: { source_labels?: string[]; action?: string; target_label?: string; regex?: string }[] }[];
  };
  const job = config.scrape_configs[0];
  t.deepEqual(job?.kubernetes_sd_configs.map((c) => c.role), ['pod']);
  const rules = job?.relabel_configs ?? [];
  t.true(rules.some((r) => r.action === 'keep' && r.regex === 'true' && r.source_labels?.includes('__meta_kubernetes_pod_annotation_prometheus_io_scrape')));
  t.true(rules.some((r) => r.target_label === '__metrics_path__' && r.source_labels?.includes('__meta_kubernetes_pod_annotation_prometheus_io_path')));
  t.true(rules.some((r) => r.target_label === '__address__' && r.source_labels?.includes('__meta_kubernetes_pod_annotation_prometheus_io_port')));
  const mounted = podTemplates(manifests).find((p) => p.owner === 'Deployment/prometheus')?.spec.volumes?.some((v) => v.configMap?.name === configMap?.metadata.name);
  t.true(mounted);
});

test('kind cluster config: ingress-ready node with ports 80 and 443 mapped', (t) => {
  const kind = documents.find(isKindConfig)?.value as { kind: string; nodes: { role: string; extraPortMappings?: { containerPort: number; hostPort: number }[]; kubeadmConfigPatches?: string[] }[] } | undefined;
  t.is(kind?.kind, 'Cluster');
  const controlPlane = kind?.nodes.find((n) => n.role === 'control-plane');
  t.deepEqual(controlPlane?.extraPortMappings?.map((m) => [m.containerPort, m.hostPort]), [[80, 80], [443, 443]]);
  const patch = parse(controlPlane?.kubeadmConfigPatches?.[0] ?? '') as { kind: string; nodeRegistration: { kubeletExtraArgs: Record<string, string> } };
  t.is(patch.kind, 'InitConfiguration');
  t.is(patch.nodeRegistration.kubeletExtraArgs['node-labels'], 'ingress-ready=true');
  for (const node of kind?.nodes ?? []) t.true(['control-plane', 'worker'].includes(node.role));
});

test('kustomizations list only files that exist', (t) => {
  const kustomizations = documents.filter(isKustomization);
  t.true(kustomizations.length >= 2);
  for (const { file, value } of kustomizations) {
    const k = value as { resources?: string[]; configMapGenerator?: { files: string[] }[] };
    const listed = [...(k.resources ?? []), ...(k.configMapGenerator ?? []).flatMap((g) => g.files)];
    t.true(listed.length > 0, file);
    for (const entry of listed) t.true(existsSync(path.join(repoRoot, path.dirname(file), entry)), `${file}: ${entry}`);
  }
});

interface Panel {
  title: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(path.join(k8sDir, 'grafana/playerfinder-dashboard.json'), 'utf8')) as { uid: string; panels: Panel[] };
const expressions = dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => ({ panel: p.title, expr: target.expr })));

test('the PromQL metric extractor finds metrics and ignores functions, labels and variables', (t) => {
  t.deepEqual(
    metricNames('histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{namespace=~"$namespace",status=~"5.."}[$__rate_interval]))) / on(pod) group_left up'),
    ['http_request_duration_seconds', 'up'],
  );
});

test('every metric in the dashboard is one the service exports', (t) => {
  t.true(expressions.length >= 10);
  const used = new Set(expressions.flatMap(({ expr }) => metricNames(expr)));
  t.deepEqual([...used].filter((name) => !exportedMetricNames.includes(name)), []);
  t.true(used.size >= 8);
});

test('the dashboard covers traffic, errors, latency by route, MongoDB, pool, event loop and memory', (t) => {
  const find = (pattern: RegExp) => expressions.filter(({ expr }) => pattern.test(expr));
  t.true(find(/rate\(http_request_duration_seconds_count/).length > 0, 'request rate');
  t.true(find(/status=~"5\.\."/).some(({ expr }) => expr.includes(' / ')), '5xx ratio');
  for (const quantile of ['0.5', '0.95', '0.99']) {
    t.true(find(new RegExp(`histogram_quantile\\(${quantile.replace('.', '\\.')}, sum by \\(le, route\\) \\(rate\\(http_request_duration_seconds_bucket`)).length > 0, `p${quantile}`);
  }
  t.true(find(/histogram_quantile\(0\.95, sum by \(le, command\) \(rate\(mongodb_command_duration_seconds_bucket/).length > 0);
  t.true(find(/mongodb_command_failures_total/).length > 0);
  t.true(find(/mongodb_pool_connections\{[^}]*state="checked_out"/).length > 0);
  t.true(find(/mongodb_pool_connections\{[^}]*state="total"/).length > 0);
  t.true(find(/nodejs_eventloop_lag_p99_seconds/).length > 0);
  t.true(find(/process_resident_memory_bytes/).length > 0);
  t.is(dashboard.uid, 'playerfinder');
});
