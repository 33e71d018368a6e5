// Credentials end to end: the Secret the chart renders (or auth.existingSecret), every reference to it,
// the least-privilege app user, and the API pod never seeing root credentials.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { loadConfig } from '../../src/config.ts';
import { allOf, helms, names, one, renderScenario, scenarioNames, workloadPod } from './render.ts';
import type { Manifest, ScenarioName } from './render.ts';
import { containersOf, decodeBase64, podTemplates } from './kube.ts';

const rootKeys = ['mongodb-root-password', 'mongodb-replica-set-key'];

interface SecretReference {
  readonly owner: string;
  readonly name: string | undefined;
  readonly key: string | undefined;
}

/** Every secretKeyRef and secret volume item in a pod spec. */
function secretReferences(owner: string, spec: IPodSpec): SecretReference[] {
  const refs: SecretReference[] = [];
  for (const c of containersOf(spec)) {
    for (const env of c.env ?? []) {
      const ref = env.valueFrom?.secretKeyRef;
      if (ref !== undefined) refs.push({ owner: `${owner} ${c.name} env ${env.name}`, name: ref.name, key: ref.key });
    }
    for (const from of c.envFrom ?? []) {
      if (from.secretRef !== undefined) refs.push({ owner: `${owner} ${c.name} envFrom`, name: from.secretRef.name, key: undefined });
    }
  }
  for (const volume of spec.volumes ?? []) {
    if (volume.secret === undefined) continue;
    const items = volume.secret.items ?? [];
    if (items.length === 0) refs.push({ owner: `${owner} volume ${volume.name}`, name: volume.secret.secretName, key: undefined });
    for (const item of items) refs.push({ owner: `${owner} volume ${volume.name}`, name: volume.secret.secretName, key: item.key });
  }
  return refs;
}

function allSecretReferences(manifests: readonly Manifest[]): SecretReference[] {
  return podTemplates(manifests).flatMap((p) => secretReferences(p.owner, p.spec));
}

const apiPod = (manifests: readonly Manifest[]): IPodSpec => workloadPod(manifests, 'api').spec;
const mongoPod = (manifests: readonly Manifest[]): IPodSpec => workloadPod(manifests, 'mongodb').spec;

function envValue(spec: IPodSpec, container: string, name: string): string | undefined {
  return spec.containers.find((c) => c.name === container)?.env?.find((e) => e.name === name)?.value;
}

interface MountedSecret {
  readonly secretName: string | undefined;
  readonly key: string | undefined;
  readonly readOnly: boolean | undefined;
}

/** The Secret key behind the file that a container's environment variable names (through its mounts and volumes). */
function secretFile(spec: IPodSpec, container: string, envName: string): MountedSecret | undefined {
  const c = containersOf(spec).find((candidate) => candidate.name === container);
  const file = c?.env?.find((e) => e.name === envName)?.value;
  const mount = c?.volumeMounts?.find((m) => file?.startsWith(`${m.mountPath}/`) === true);
  const volume = spec.volumes?.find((v) => v.name === mount?.name);
  const item = volume?.secret?.items?.find((i) => `${mount?.mountPath ?? ''}/${i.path}` === file);
  if (item === undefined) return undefined;
  return { secretName: volume?.secret?.secretName, key: item.key, readOnly: mount?.readOnly };
}

function assertRootFree(t: ExecutionContext, manifests: readonly Manifest[]): void {
  const spec = apiPod(manifests);
  for (const ref of secretReferences('api', spec)) {
    t.not(ref.key, undefined, `${ref.owner} would expose every key of ${ref.name ?? ''}`);
    t.false(rootKeys.includes(ref.key ?? ''), `${ref.owner} references ${ref.key ?? ''}`);
  }
  const envNames = spec.containers.flatMap((c) => (c.env ?? []).map((e) => e.name));
  t.false(envNames.some((name) => name.startsWith('MONGO_INITDB')), 'no MONGO_INITDB_* in the API pod');
}

for (const helm of helms()) {
  const title = (what: string) => `${helm.label}: ${what}`;
  const renderOf = (scenario: ScenarioName) => renderScenario(helm, scenario);

  test(title('the generated Secret has long random passwords and a keyfile, kept on uninstall'), async (t) => {
    const secret = one(await renderOf('defaults'), 'Secret', names.secret);
    const data = secret.data ?? {};
    t.deepEqual(Object.keys(data).sort(), ['mongodb-password', 'mongodb-replica-set-key', 'mongodb-root-password']);
    for (const [key, value] of Object.entries(data)) t.regex(decodeBase64(value), /^[A-Za-z0-9]{32,}$/, key);
    t.not(data['mongodb-password'], data['mongodb-root-password']);
    t.is(secret.metadata?.annotations?.['helm.sh/resource-policy'], 'keep');
  });

  test(title('each install generates new passwords (lookup keeps them only against a live cluster)'), async (t) => {
    const first = one(await renderOf('defaults'), 'Secret', names.secret).data;
    const second = one(await renderOf('replicaSet'), 'Secret', names.secret).data;
    t.notDeepEqual(first, second);
  });

  test(title('the API reads the app password from the Secret key the chart renders, as a read-only file'), async (t) => {
    const manifests = await renderOf('defaults');
    const secret = one(manifests, 'Secret', names.secret);
    const spec = apiPod(manifests);
    t.deepEqual(secretFile(spec, 'api', 'MONGODB_PASSWORD_FILE'), { secretName: secret.metadata?.name, key: 'mongodb-password', readOnly: true });
    t.true(Object.hasOwn(secret.data ?? {}, 'mongodb-password'));
    t.false(spec.containers.some((c) => c.env?.some((e) => e.name === 'MONGODB_PASSWORD')), 'no password in plain env');
  });

  for (const scenario of ['defaults', 'replicaSet'] as const) {
    test(title(`${scenario}: mongod and the bootstrap sidecar read the root and app passwords as files from the Secret`), async (t) => {
      const manifests = await renderOf(scenario);
      const secretName = one(manifests, 'Secret', names.secret).metadata?.name;
      const mongo = mongoPod(manifests);
      const root = { secretName, key: 'mongodb-root-password', readOnly: true };
      const app = { secretName, key: 'mongodb-password', readOnly: true };
      // The image's entrypoint reads MONGO_INITDB_ROOT_PASSWORD_FILE (file_env in docker-entrypoint.sh).
      t.deepEqual(secretFile(mongo, 'mongodb', 'MONGO_INITDB_ROOT_PASSWORD_FILE'), root);
      t.deepEqual(secretFile(mongo, 'mongodb', 'PLAYERFINDER_PASSWORD_FILE'), app);
      t.deepEqual(secretFile(mongo, 'bootstrap', 'MONGO_ROOT_PASSWORD_FILE'), root);
      t.deepEqual(secretFile(mongo, 'bootstrap', 'PLAYERFINDER_PASSWORD_FILE'), app);
      const config = one(manifests, 'ConfigMap', names.api).data ?? {};
      for (const container of ['mongodb', 'bootstrap']) {
        t.is(envValue(mongo, container, 'PLAYERFINDER_USERNAME'), config.MONGODB_USERNAME, container);
        t.is(envValue(mongo, container, 'PLAYERFINDER_DATABASE'), config.MONGODB_DATABASE, container);
      }
      t.is(config.MONGODB_AUTH_SOURCE, config.MONGODB_DATABASE, 'the app user authenticates against the app database');
      // The init script is mounted where the image runs it (what it does is run in mongodb-scripts.test.ts).
      const mount = mongo.containers.find((c) => c.name === 'mongodb')?.volumeMounts?.find((m) => m.mountPath.startsWith('/docker-entrypoint-initdb.d/'));
      t.true(Object.hasOwn(one(manifests, 'ConfigMap', names.scripts).data ?? {}, mount?.subPath ?? ''));
    });
  }

  for (const scenario of scenarioNames) {
    test(title(`${scenario}: no container gets a credential as an environment value`), async (t) => {
      for (const pod of podTemplates(await renderOf(scenario))) {
        for (const c of containersOf(pod.spec)) {
          for (const env of c.env ?? []) {
            t.is(env.valueFrom?.secretKeyRef, undefined, `${pod.owner} ${c.name} ${env.name}`);
            t.notRegex(env.name, /PASSWORD$|_URI$|SECRET$|TOKEN$/, `${pod.owner} ${c.name} ${env.name} should be a *_FILE`);
          }
          t.deepEqual(c.envFrom?.filter((from) => from.secretRef !== undefined) ?? [], [], `${pod.owner} ${c.name}`);
        }
      }
    });
  }

  test(title('replica set: the keyfile comes from the Secret via an init container copy with mode 0400'), async (t) => {
    const manifests = await renderOf('replicaSet');
    const secretName = one(manifests, 'Secret', names.secret).metadata?.name;
    const spec = mongoPod(manifests);
    const init = spec.initContainers?.find((c) => c.name === 'keyfile');
    t.truthy(init);
    const source = spec.volumes?.find((v) => v.secret !== undefined && init?.volumeMounts?.some((m) => m.name === v.name));
    t.is(source?.secret?.secretName, secretName);
    t.deepEqual(source?.secret?.items?.map((i) => i.key), ['mongodb-replica-set-key']);
    const script = (init?.command ?? []).join(' ');
    t.regex(script, /chmod 0?400 \/keyfile\/keyfile/);
    const copy = spec.volumes?.find((v) => v.name === 'keyfile');
    t.truthy(copy?.emptyDir, 'the copy lives in an emptyDir, owned by the pod user (999)');
    const args = spec.containers.find((c) => c.name === 'mongodb')?.args ?? [];
    t.is(args[args.indexOf('--keyFile') + 1], '/keyfile/keyfile');
    t.is(spec.securityContext?.runAsUser, 999);
  });

  for (const scenario of ['defaults', 'replicaSet', 'aks'] as const) {
    test(title(`${scenario}: the API pod gets no root credentials or keyfile`), async (t) => {
      assertRootFree(t, await renderOf(scenario));
    });
  }

  test(title('existingSecret: no Secret is rendered and every reference uses the given name'), async (t) => {
    const manifests = await renderOf('existingSecret');
    t.deepEqual(allOf(manifests, 'Secret').map((secret) => secret.metadata?.name), [names.authSecret], 'only the API\'s own keys');
    const refs = allSecretReferences(manifests).filter((ref) => ref.name !== names.authSecret);
    t.deepEqual(refs.map((r) => r.key).sort(), ['mongodb-password', 'mongodb-password', 'mongodb-replica-set-key', 'mongodb-root-password'], 'API password file, MongoDB credential files, keyfile');
    for (const ref of refs) t.is(ref.name, 'my-mongodb-credentials', ref.owner);
    assertRootFree(t, manifests);
  });

  test(title('external database: MONGODB_URI_FILE names the given Secret key as a file, nothing of the bundled MongoDB renders'), async (t) => {
    const manifests = await renderOf('externalDatabase');
    const spec = apiPod(manifests);
    t.deepEqual(secretFile(spec, 'api', 'MONGODB_URI_FILE'), { secretName: 'playerfinder-db', key: 'uri', readOnly: true });
    t.false(spec.containers.some((c) => c.env?.some((e) => e.name === 'MONGODB_URI')), 'never the URI itself');
    t.deepEqual(
      manifests.filter((m) => m.metadata.labels?.['app.kubernetes.io/component'] === 'mongodb').map((m) => `${m.kind}/${m.metadata.name}`),
      [],
    );
    const config = one(manifests, 'ConfigMap', names.api).data ?? {};
    for (const key of ['MONGODB_HOST', 'MONGODB_USERNAME', 'MONGODB_REPLICA_SET']) t.false(key in config, key);
    // A URI whose path names where its user authenticates (admin, as many hosted services have it) still
    // keeps the data in database.name.
    const settings = loadConfig({ ...config, MONGODB_URI: 'mongodb://app:secret@db.example.com:27017/admin', AUTH_SECRET: 'a-signing-key-of-at-least-32-bytes!!' }).mongo;
    t.like(settings, { database: 'playerfinder', maxPoolSize: 20 });
    t.deepEqual(allSecretReferences(manifests).map((r) => r.name).sort(), [names.authSecret, 'playerfinder-db']);
  });

  test(title('the pod templates roll when the credentials change'), async (t) => {
    const manifests = await renderOf('defaults');
    const checksum = (rendered: readonly Manifest[], workload: 'api' | 'mongodb') => workloadPod(rendered, workload).annotations['checksum/secret'];
    t.regex(checksum(manifests, 'api') ?? '', /^[0-9a-f]{64}$/);
    t.is(checksum(manifests, 'api'), checksum(manifests, 'mongodb'), 'both hash the same generated values');
    t.not(checksum(await renderOf('replicaSet'), 'api'), checksum(manifests, 'api'), 'new passwords, new checksum');
  });
}
