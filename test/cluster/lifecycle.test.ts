// The release lifecycle against a real API server, on helm 3 and 4: generated passwords and the API's
// signing key kept by lookup across upgrade, rollback and reinstall; auth.existingSecret and
// apiAuth.existingSecret used as given; the helm test Pod; the API
// server's refusal of an immutable StatefulSet change; the CRD-gated ServiceMonitor; and Pod Security
// admission refusing a non-compliant override.
import test from 'ava';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { helms, scenarios } from '../chart/render.ts';
import { containersOf } from '../chart/kube.ts';
import {
  apiCall,
  controlPlaneForThisFile,
  createSecret,
  helmOk,
  helmOn,
  list,
  releaseArgs,
  releaseManifests,
  restrictedNamespace,
  secretData,
  settledWorkloads,
  waitUntil,
  type KubeObject,
} from './cluster.ts';

const plane = controlPlaneForThisFile();
const release = 'playerfinder';

/** Names of every Secret a Pod reads: env secretKeyRefs, envFrom, secret and projected volumes. */
function secretsReadBy(spec: IPodSpec): string[] {
  const fromVolumes = (spec.volumes ?? []).flatMap((v) => [v.secret?.secretName, ...(v.projected?.sources ?? []).map((s) => s.secret?.name)]);
  const fromContainers = containersOf(spec).flatMap((c) => [...(c.env ?? []).map((e) => e.valueFrom?.secretKeyRef?.name), ...(c.envFrom ?? []).map((e) => e.secretRef?.name)]);
  return [...fromVolumes, ...fromContainers].filter((name): name is string => name !== undefined);
}

const serviceMonitorCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'servicemonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: { plural: 'servicemonitors', singular: 'servicemonitor', kind: 'ServiceMonitor', listKind: 'ServiceMonitorList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

const helmBinaries = helms();
/** What client-go, and so Helm, asks /apis for. */
const aggregatedDiscovery = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

if (plane !== undefined && helmBinaries.length > 0) {
  for (const helm of helmBinaries) {
    test(`${helm.label}: generated secrets are identical after upgrade, rollback, and uninstall + install`, async (t) => {
      const namespace = await restrictedNamespace(plane(), `${helm.label}-keep`);
      await helmOk(plane(), helm, releaseArgs('install', release, namespace, scenarios.replicaSet));
      const generated = await secretData(plane(), namespace);
      t.deepEqual(Object.keys(generated).sort(), ['playerfinder-auth', 'playerfinder-mongodb']);
      t.deepEqual(Object.keys(generated['playerfinder-mongodb'] ?? {}).sort(), ['mongodb-password', 'mongodb-replica-set-key', 'mongodb-root-password']);
      t.deepEqual(Object.keys(generated['playerfinder-auth'] ?? {}), ['auth-secret']);

      await helmOk(plane(), helm, releaseArgs('upgrade', release, namespace, { set: [...scenarios.replicaSet.set, 'app.logLevel=debug'] }));
      t.deepEqual(await secretData(plane(), namespace), generated, 'after upgrade');
      await helmOk(plane(), helm, ['rollback', release, '1', '--namespace', namespace]);
      t.deepEqual(await secretData(plane(), namespace), generated, 'after rollback');
      await helmOk(plane(), helm, ['uninstall', release, '--namespace', namespace]);
      t.deepEqual(await secretData(plane(), namespace), generated, 'kept by helm.sh/resource-policy on uninstall');
      await helmOk(plane(), helm, releaseArgs('install', release, namespace, scenarios.replicaSet));
      t.deepEqual(await secretData(plane(), namespace), generated, 'after reinstall');

      // Turning the operator token on later adds it; the signing key stays, so tokens stay valid.
      await helmOk(plane(), helm, releaseArgs('upgrade', release, namespace, { set: [...scenarios.replicaSet.set, 'apiAuth.operatorToken=true'] }));
      const withOperator = (await secretData(plane(), namespace))['playerfinder-auth'] ?? {};
      t.is(withOperator['auth-secret'], generated['playerfinder-auth']?.['auth-secret']);
      t.regex(Buffer.from(withOperator['operator-token'] ?? '', 'base64').toString(), /^[A-Za-z0-9]{48}$/);
    });

    test(`${helm.label}: auth.existingSecret and apiAuth.existingSecret are used as given and no Secret is generated`, async (t) => {
      const namespace = await restrictedNamespace(plane(), `${helm.label}-existing`);
      const secretName = scenarios.existingSecret.set[0].split('=')[1] ?? '';
      await createSecret(plane(), namespace, secretName, { 'mongodb-root-password': 'root-pw', 'mongodb-password': 'app-pw', 'mongodb-replica-set-key': 'k'.repeat(64) });
      await createSecret(plane(), namespace, 'my-api-keys', { 'auth-secret': 's'.repeat(48) });
      const before = await secretData(plane(), namespace);
      await helmOk(plane(), helm, releaseArgs('install', release, namespace, { set: [...scenarios.existingSecret.set, 'apiAuth.existingSecret=my-api-keys'] }));
      t.deepEqual(await secretData(plane(), namespace), before);
      const { pods, failedCreate } = await settledWorkloads(plane(), namespace);
      t.deepEqual(failedCreate, []);
      t.is(pods.length, 4, 'one API Pod and three MongoDB Pods');
      for (const pod of pods) {
        const expected = pod.metadata.name.startsWith('playerfinder-mongodb') ? [secretName] : ['my-api-keys', secretName];
        t.deepEqual([...new Set(secretsReadBy(pod.spec))].sort(), expected, pod.metadata.name);
      }

      // A key changed in the given Secret reaches the API pods on the next upgrade: the checksum follows its data.
      const checksum = async () => ((await apiCall(plane(), 'GET', `/apis/apps/v1/namespaces/${namespace}/deployments/${release}`)) as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations['checksum/auth-secret'];
      const installed = await checksum();
      await apiCall(plane(), 'PUT', `/api/v1/namespaces/${namespace}/secrets/my-api-keys`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'my-api-keys' }, stringData: { 'auth-secret': 'r'.repeat(48) } });
      await helmOk(plane(), helm, releaseArgs('upgrade', release, namespace, { set: [...scenarios.existingSecret.set, 'apiAuth.existingSecret=my-api-keys'] }));
      t.not(await checksum(), installed, 'a rotated key rolls the API pods');
    });

    test(`${helm.label}: helm test creates its Pod, which stays Pending here (no kubelet runs it)`, async (t) => {
      const namespace = await restrictedNamespace(plane(), `${helm.label}-test`);
      await helmOk(plane(), helm, releaseArgs('install', release, namespace));
      const result = await helmOn(plane(), helm, ['test', release, '--namespace', namespace, '--timeout', '5s']);
      t.not(result.code, 0, 'helm test cannot succeed without a kubelet');
      const pod = (await apiCall(plane(), 'GET', `/api/v1/namespaces/${namespace}/pods/${release}-test`)) as KubeObject;
      t.is(pod.status?.phase, 'Pending');
      t.is(pod.spec?.nodeName, undefined, 'never scheduled: there is no node');
    });

    test(`${helm.label}: an upgrade changing the MongoDB volume size fails with the API server's message; orphaning the StatefulSet first works`, async (t) => {
      const namespace = await restrictedNamespace(plane(), `${helm.label}-resize`);
      const statefulSetPath = `/apis/apps/v1/namespaces/${namespace}/statefulsets/playerfinder-mongodb`;
      const storage = async (): Promise<string | undefined> => {
        const statefulSet = (await apiCall(plane(), 'GET', statefulSetPath)) as KubeObject;
        const templates = statefulSet.spec?.volumeClaimTemplates as { spec: { resources: { requests: { storage: string } } } }[];
        return templates[0]?.spec.resources.requests.storage;
      };
      await helmOk(plane(), helm, releaseArgs('install', release, namespace));
      const resized = releaseArgs('upgrade', release, namespace, { set: ['mongodb.persistence.size=16Gi'] });
      const result = await helmOn(plane(), helm, resized);
      t.not(result.code, 0);
      // Helm 3 patches, Helm 4 applies server-side: either way the API server's validation refuses it.
      t.regex(result.stderr, /StatefulSet\.apps "playerfinder-mongodb" is invalid: spec\.volumeClaimTemplates: Invalid value: .*: field is immutable/);
      t.is(await storage(), '8Gi', 'the stored StatefulSet is unchanged');

      // The way chart/README.md "Storage" documents: delete the StatefulSet with --cascade=orphan, then upgrade.
      await apiCall(plane(), 'DELETE', statefulSetPath, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Orphan' });
      await waitUntil('the orphaned StatefulSet to be gone', async () => (await plane().api('GET', statefulSetPath)).status === 404);
      await helmOk(plane(), helm, resized);
      t.is(await storage(), '16Gi');
    });

    test(`${helm.label}: allowPrivilegeEscalation=true passes the values schema and is refused by Pod Security admission`, async (t) => {
      const namespace = await restrictedNamespace(plane(), `${helm.label}-escalate`);
      await helmOk(plane(), helm, releaseArgs('install', release, namespace, { set: ['containerSecurityContext.allowPrivilegeEscalation=true'] }));
      const state = await settledWorkloads(plane(), namespace);
      const refusals = state.failedCreate.filter((e) => e.involvedObject.kind === 'ReplicaSet' && e.involvedObject.name.startsWith(`${release}-`));
      t.true(refusals.length > 0, 'a FailedCreate event on the API ReplicaSet');
      t.regex(refusals[0]?.message ?? '', /violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
      t.is(state.workloads['Deployment/playerfinder']?.pods, 0, 'no API Pod exists');
    });
  }

  // One test for both helms: the CRD is cluster-wide, so "absent" must be seen before it is installed.
  test('ServiceMonitor: enabled without its CRD installs without it; with the CRD the upgrade creates it', async (t) => {
    const values = { set: ['metrics.serviceMonitor.enabled=true'] };
    const namespaces = new Map<string, string>();
    for (const helm of helmBinaries) {
      const namespace = await restrictedNamespace(plane(), `${helm.label}-monitor`);
      namespaces.set(helm.label, namespace);
      await helmOk(plane(), helm, releaseArgs('install', release, namespace, values));
      const kinds = (await releaseManifests(plane(), helm, release, namespace)).map((m) => m.kind);
      t.false(kinds.includes('ServiceMonitor'), `${helm.label}: not rendered without the CRD`);
      t.true(kinds.includes('Deployment'));
    }

    await apiCall(plane(), 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', serviceMonitorCrd);
    await waitUntil('the ServiceMonitor CRD to be served', async () => (await plane().api('GET', '/apis/monitoring.coreos.com/v1')).status === 200);
    // Helm learns of it through discovery (the aggregated form, as client-go asks for it), which catches up later.
    await waitUntil('the ServiceMonitor CRD to be discovered', async () =>
      JSON.stringify((await plane().api('GET', '/apis', undefined, aggregatedDiscovery)).body).includes('"monitoring.coreos.com"'));

    for (const helm of helmBinaries) {
      const namespace = namespaces.get(helm.label) ?? '';
      await helmOk(plane(), helm, releaseArgs('upgrade', release, namespace, values));
      const monitors = await list(plane(), namespace, 'monitoring.coreos.com/v1', 'servicemonitors');
      t.deepEqual(monitors.map((m) => m.metadata.name), [release], `${helm.label}: created with the CRD`);
    }
  });
}
