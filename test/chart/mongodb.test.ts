// The bundled MongoDB: StatefulSet, Services, storage, probes, replica-set wiring and the NetworkPolicy.
import test from 'ava';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { allOf, helms, names, namespace, one, render, renderScenario, workloadContainer, workloadPod } from './render.ts';
import type { Manifest } from './render.ts';
import { selects } from './kube.ts';

function statefulSet(manifests: readonly Manifest[]): IStatefulSet {
  return one(manifests, 'StatefulSet', names.mongodb);
}

const mongod = (manifests: readonly Manifest[]) => workloadContainer(manifests, 'mongodb', 'mongodb');

const memberHosts = [0, 1, 2].map((i) => `${names.mongodb}-${String(i)}.${names.headless}.${namespace}.svc.cluster.local:27017`);

for (const helm of helms()) {
  const title = (what: string) => `${helm.label}: ${what}`;

  test(title('standalone: official mongo 8.0 image, auth on, no --replSet, API uses the client Service'), async (t) => {
    const manifests = await renderScenario(helm, 'defaults');
    const container = mongod(manifests);
    t.regex(container.image ?? '', /^mongo:8\.0\.\d+$/);
    t.true(container.args?.includes('--auth'));
    t.false(container.args?.includes('--replSet'));
    t.is(statefulSet(manifests).spec?.replicas, 1);
    const config = one(manifests, 'ConfigMap', names.api).data ?? {};
    t.is(config.MONGODB_HOST, `${names.mongodb}.${namespace}.svc.cluster.local:27017`);
    t.false('MONGODB_REPLICA_SET' in config);
    const client = one(manifests, 'Service', names.mongodb);
    t.deepEqual(client.spec?.ports?.map((p) => [p.port, p.targetPort]), [[27017, 'mongodb']]);
    t.deepEqual(allOf(manifests, 'PodDisruptionBudget'), [], 'a single member gets no PDB');
  });

  test(title('the headless Service gives stable DNS before readiness and is the StatefulSet serviceName'), async (t) => {
    const manifests = await renderScenario(helm, 'defaults');
    const headless = one(manifests, 'Service', names.headless);
    t.is(headless.spec?.clusterIP, 'None');
    t.true(headless.spec?.publishNotReadyAddresses);
    t.is(statefulSet(manifests).spec?.serviceName, names.headless);
  });

  test(title('probes: mongosh ping readiness with timeout >= 5 s, TCP liveness on 27017'), async (t) => {
    for (const scenario of ['defaults', 'kind', 'aks'] as const) {
      const container = mongod(await renderScenario(helm, scenario));
      t.deepEqual(container.readinessProbe?.exec?.command, ['mongosh', '--quiet', '--eval', 'db.adminCommand("ping")'], scenario);
      t.true((container.readinessProbe?.timeoutSeconds ?? 1) >= 5, scenario);
      t.is(container.livenessProbe?.tcpSocket?.port, 'mongodb');
      t.is(container.ports?.find((p) => p.name === 'mongodb')?.containerPort, 27017);
    }
  });

  test(title('runs as 999 with fsGroup 999 and writable /data/db and /tmp on a read-only root'), async (t) => {
    const manifests = await renderScenario(helm, 'defaults');
    const pod = workloadPod(manifests, 'mongodb').spec;
    t.like(pod.securityContext, { runAsUser: 999, runAsGroup: 999, fsGroup: 999 });
    const mounts = Object.fromEntries((mongod(manifests).volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    t.is(mounts['/data/db'], 'data');
    t.is(pod.volumes?.find((v) => v.name === mounts['/tmp'])?.emptyDir !== undefined, true);
    t.true(mongod(manifests).securityContext?.readOnlyRootFilesystem);
  });

  test(title('storage: cluster default class when empty, managed-csi on AKS, size from values'), async (t) => {
    const claim = (manifests: readonly Manifest[]) => statefulSet(manifests).spec?.volumeClaimTemplates?.[0];
    const defaults = claim(await renderScenario(helm, 'defaults'));
    t.is(defaults?.metadata?.name, 'data');
    t.false(defaults?.spec !== undefined && 'storageClassName' in defaults.spec, 'an empty storageClassName would disable dynamic provisioning');
    t.is(defaults?.spec?.resources?.requests?.storage, '8Gi');
    const aks = claim(await renderScenario(helm, 'aks'));
    t.is(aks?.spec?.storageClassName, 'managed-csi');
    t.is(aks?.spec?.resources?.requests?.storage, '32Gi');
  });

  test(title('replica set: --replSet/--keyFile, members by stable DNS name, API lists all of them'), async (t) => {
    const manifests = await renderScenario(helm, 'replicaSet');
    const set = statefulSet(manifests);
    t.is(set.spec?.replicas, 3);
    t.is(set.spec?.podManagementPolicy, 'Parallel');
    const args = mongod(manifests).args ?? [];
    t.is(args[args.indexOf('--replSet') + 1], 'rs0');
    t.true(args.includes('--keyFile'));
    const config = one(manifests, 'ConfigMap', names.api).data ?? {};
    t.is(config.MONGODB_HOST, memberHosts.join(','));
    t.is(config.MONGODB_REPLICA_SET, 'rs0');
    const sidecar = workloadContainer(manifests, 'mongodb', 'replset-bootstrap');
    const env = Object.fromEntries((sidecar.env ?? []).map((e) => [e.name, e.value]));
    t.is(env.MEMBERS, memberHosts.join(','));
    t.is(env.REPLICA_SET_NAME, 'rs0');
    for (const host of [config.MONGODB_HOST ?? '', env.MEMBERS ?? '']) t.notRegex(host, /localhost|127\.0\.0\.1/);
    t.is(one(manifests, 'PodDisruptionBudget', names.mongodb).spec?.maxUnavailable, 1);
  });

  test(title('replica set: the bootstrap runs from pod 0 only and initiates only an uninitialised set'), async (t) => {
    const manifests = await renderScenario(helm, 'replicaSet');
    const sidecar = workloadContainer(manifests, 'mongodb', 'replset-bootstrap');
    const command = sidecar.command?.join(' ') ?? '';
    t.regex(command, /\$\{HOSTNAME##\*-\}" = 0/);
    t.regex(command, /mongosh --nodb --quiet \/scripts\/replica-set-bootstrap\.js/);
    const script = one(manifests, 'ConfigMap', names.scripts).data?.['replica-set-bootstrap.js'] ?? '';
    t.regex(script, /if \(status\.code !== NOT_YET_INITIALIZED\)/, 'initiates only on NotYetInitialized');
    t.regex(script, /const NOT_YET_INITIALIZED = 94;/);
    t.regex(script, /members: \[\{ _id: 0, host: members\[0\] \}\]/, 'initiates with its stable DNS name');
    t.regex(script, /missing\.find\(answers\)/, 'adds one reachable missing member per reconfig');
  });

  test(title('NetworkPolicy: mongo pods accept 27017 from API pods and each other only'), async (t) => {
    for (const scenario of ['defaults', 'replicaSet'] as const) {
      const manifests = await renderScenario(helm, scenario);
      const policy = one(manifests, 'NetworkPolicy', names.mongodb);
      const mongoLabels = workloadPod(manifests, 'mongodb').labels;
      const apiLabels = workloadPod(manifests, 'api').labels;
      const testLabels = one(manifests, 'Pod', names.test).metadata?.labels ?? {};
      t.true(selects(policy.spec?.podSelector?.matchLabels, mongoLabels), 'applies to mongo pods');
      t.false(selects(policy.spec?.podSelector?.matchLabels, apiLabels), 'not to API pods');
      t.deepEqual(policy.spec?.policyTypes, ['Ingress']);
      const rules = policy.spec?.ingress ?? [];
      t.is(rules.length, 1);
      const peers = rules[0]?.from ?? [];
      const allowed = (labels: Record<string, string>) => peers.some((p) => p.namespaceSelector === undefined && selects(p.podSelector?.matchLabels, labels));
      t.true(allowed(apiLabels), 'API pods');
      t.true(allowed(mongoLabels), 'replication between members');
      t.false(allowed(testLabels), 'the helm test pod talks to the API only');
      t.deepEqual(rules[0]?.ports, [{ port: 27017, protocol: 'TCP' }]);
    }
  });

  test(title('networkPolicy.enabled=false renders no NetworkPolicy'), async (t) => {
    t.deepEqual(allOf(await render(helm, { set: ['networkPolicy.enabled=false'] }), 'NetworkPolicy'), []);
  });
}
