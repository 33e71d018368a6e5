// The bundled MongoDB: StatefulSet, Services, storage, probes, replica-set wiring and the NetworkPolicy.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import test from 'ava';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { parse } from 'yaml';
import { allOf, helms, names, namespace, one, render, renderScenario, repoRoot, workloadContainer, workloadPod } from './render.ts';
import type { Manifest } from './render.ts';
import { mebibytes, selects } from './kube.ts';
import { findCommand, toolAvailable } from '../helpers/tools.ts';

function statefulSet(manifests: readonly Manifest[]): IStatefulSet {
  return one(manifests, 'StatefulSet', names.mongodb);
}

const mongod = (manifests: readonly Manifest[]) => workloadContainer(manifests, 'mongodb', 'mongodb');

/** Can this machine run a command as PID 1 of a new PID namespace (unprivileged user namespace)? */
const pidNamespaces = toolAvailable(findCommand('UNSHARE_BIN', 'unshare', ['--user', '--map-root-user', '--pid', '--fork', 'true']));

const childrenOf = (pid: number | undefined): string => {
  try {
    return readFileSync(`/proc/${String(pid)}/task/${String(pid)}/children`, 'utf8').trim();
  } catch {
    return '';
  }
};

/**
 * Runs a container command as PID 1 (where the kernel drops signals without a handler, as in a pod),
 * waits until it has started a child, sends SIGTERM and returns [exit code, signal], or 'held' after 3 s.
 */
async function terminateAsPid1(command: string, args: readonly string[], env: Record<string, string>): Promise<[number | null, string | null] | 'held'> {
  const child = spawn('unshare', ['--user', '--map-root-user', '--pid', '--fork', command, ...args], { env, stdio: 'ignore' });
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  let init = '';
  for (let i = 0; i < 100 && (init === '' || childrenOf(Number(init)) === ''); i += 1) {
    await delay(20);
    init = childrenOf(child.pid);
  }
  if (init === '') throw new Error('the command did not start');
  process.kill(Number(init), 'SIGTERM');
  const result = await Promise.race([exited, delay(3000).then(() => 'held' as const)]);
  if (result === 'held') {
    process.kill(Number(init), 'SIGKILL');
    await exited;
  }
  return result;
}

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

  test(title('probes: mongosh hello readiness (run against scripted members in mongodb-scripts.test.ts) with timeout >= 5 s, TCP liveness on 27017'), async (t) => {
    const commands = new Set<string>();
    for (const scenario of ['defaults', 'kind', 'aks', 'replicaSet'] as const) {
      const container = mongod(await renderScenario(helm, scenario));
      const command = container.readinessProbe?.exec?.command ?? [];
      t.deepEqual(command.slice(0, 3), ['mongosh', '--quiet', '--eval'], scenario);
      commands.add(command.join(' '));
      t.true((container.readinessProbe?.timeoutSeconds ?? 1) >= 5, scenario);
      t.is(container.livenessProbe?.tcpSocket?.port, 'mongodb');
      t.is(container.ports?.find((p) => p.name === 'mongodb')?.containerPort, 27017);
    }
    t.is(commands.size, 1, 'one readiness rule for standalone and replica-set members');
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

  test(title('storage: cluster default class when empty, zone-redundant managed-csi-zrs on AKS, size from values'), async (t) => {
    const claim = (manifests: readonly Manifest[]) => statefulSet(manifests).spec?.volumeClaimTemplates?.[0];
    const defaults = claim(await renderScenario(helm, 'defaults'));
    t.is(defaults?.metadata?.name, 'data');
    t.false(defaults?.spec !== undefined && 'storageClassName' in defaults.spec, 'an empty storageClassName would disable dynamic provisioning');
    t.is(defaults?.spec?.resources?.requests?.storage, '8Gi');
    const aks = claim(await renderScenario(helm, 'aks'));
    t.is(aks?.spec?.storageClassName, 'managed-csi-zrs');
    const zrs = parse(readFileSync(path.join(repoRoot, 'k8s/aks/storageclass-zrs.yaml'), 'utf8')) as { metadata: { name: string }; provisioner: string; parameters: { skuName: string } };
    t.is(aks?.spec?.storageClassName, zrs.metadata.name, 'the AKS class is the one k8s/aks defines');
    t.is(zrs.provisioner, 'disk.csi.azure.com');
    t.regex(zrs.parameters.skuName, /_ZRS$/, 'zone-redundant: a member can be rescheduled into any zone');
    t.is(aks?.spec?.resources?.requests?.storage, '32Gi');
  });

  test(title('member and Service host names follow clusterDomain'), async (t) => {
    const manifests = await render(helm, { set: ['mongodb.replicaCount=3', 'clusterDomain=corp.internal'] });
    const hosts = (one(manifests, 'ConfigMap', names.api).data ?? {}).MONGODB_HOST ?? '';
    t.is(hosts, memberHosts.map((host) => host.replace('.svc.cluster.local:', '.svc.corp.internal:')).join(','));
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
    const sidecar = workloadContainer(manifests, 'mongodb', 'bootstrap');
    const env = Object.fromEntries((sidecar.env ?? []).map((e) => [e.name, e.value]));
    t.is(env.MEMBERS, memberHosts.join(','));
    t.is(env.REPLICA_SET_NAME, 'rs0');
    for (const host of [config.MONGODB_HOST ?? '', env.MEMBERS ?? '']) t.notRegex(host, /localhost|127\.0\.0\.1/);
    t.is(one(manifests, 'PodDisruptionBudget', names.mongodb).spec?.maxUnavailable, 1);
  });

  test(title('the bootstrap sidecar runs its script from pod 0 only, in both modes'), async (t) => {
    for (const scenario of ['defaults', 'replicaSet'] as const) {
      const manifests = await renderScenario(helm, scenario);
      const command = workloadContainer(manifests, 'mongodb', 'bootstrap').command?.join(' ') ?? '';
      t.regex(command, /\$\{HOSTNAME##\*-\}" = 0/, scenario);
      const script = /mongosh --nodb --quiet \/scripts\/(\S+)/.exec(command)?.[1] ?? '';
      t.true(Object.hasOwn(one(manifests, 'ConfigMap', names.scripts).data ?? {}, script), `${scenario}: ${script} is in the scripts ConfigMap`);
    }
  });

  test(title('mongod gets a WiredTiger cache that fits its memory limit'), async (t) => {
    for (const scenario of ['defaults', 'kind', 'aks', 'replicaSet'] as const) {
      const container = mongod(await renderScenario(helm, scenario));
      const args = container.args ?? [];
      const index = args.indexOf('--wiredTigerCacheSizeGB');
      t.true(index > 0, `${scenario}: without it mongod may size the cache from the node's RAM`);
      const cacheMi = Number(args[index + 1]) * 1024;
      t.true(cacheMi >= 256, `${scenario}: mongod's minimum is 0.25 GB`);
      const limitMi = mebibytes(container.resources?.limits?.memory);
      t.true(cacheMi <= limitMi / 2, `${scenario}: cache ${String(cacheMi)} Mi leaves room for connections and mongosh probes under ${String(limitMi)} Mi`);
    }
    const unset = mongod(await render(helm, { set: ['mongodb.wiredTigerCacheSizeGB=null'] }));
    t.false(unset.args?.includes('--wiredTigerCacheSizeGB'));
  });

  test(title('the bootstrap sidecar has memory headroom over mongosh\'s measured peak (about 250 MiB)'), async (t) => {
    for (const scenario of ['defaults', 'replicaSet', 'aks'] as const) {
      const { requests, limits } = workloadContainer(await renderScenario(helm, scenario), 'mongodb', 'bootstrap').resources ?? {};
      t.true(mebibytes(limits?.memory) >= 320, `${scenario}: limit ${String(limits?.memory)}`);
      t.true(mebibytes(requests?.memory) >= 128, `${scenario}: request ${String(requests?.memory)}`);
    }
  });

  if (pidNamespaces) {
    test(title('replica set: the bootstrap sidecar, as PID 1, exits at once on SIGTERM instead of holding pod deletion'), async (t) => {
      const sidecar = workloadContainer(await renderScenario(helm, 'replicaSet'), 'mongodb', 'bootstrap');
      const [shell = '', ...shellArgs] = sidecar.command ?? [];
      t.is(shell, 'bash');
      const bin = await mkdtemp(path.join(os.tmpdir(), 'pf-sidecar-'));
      try {
        // A bootstrap that never finishes, so pod 0 is terminated while mongosh runs.
        await writeFile(path.join(bin, 'mongosh'), '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
        for (const hostname of [`${names.mongodb}-0`, `${names.mongodb}-1`]) {
          t.deepEqual(await terminateAsPid1(shell, shellArgs, { PATH: `${bin}:${process.env.PATH ?? ''}`, HOSTNAME: hostname }), [0, null], hostname);
        }
      } finally {
        await rm(bin, { recursive: true, force: true });
      }
    });
  }

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
