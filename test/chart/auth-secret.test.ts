// The API's token signing key (and optional operator token): generated, or taken from apiAuth.existingSecret;
// mounted as files. That upgrades keep it (lookup) is proved against a real API server in test/cluster.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { decodeBase64 } from './kube.ts';
import { allOf, helms, names, one, render, workloadPod, type Manifest } from './render.ts';

const authSecretName = names.authSecret;

/** The files the API reads its keys from, resolved through env, mounts and the Secret volume. */
function keyFiles(spec: IPodSpec): Record<string, { secret: string | undefined; key: string | undefined }> {
  const container = spec.containers.find((c) => c.name === 'api');
  const files: Record<string, { secret: string | undefined; key: string | undefined }> = {};
  for (const variable of ['AUTH_SECRET_FILE', 'OPERATOR_TOKEN_FILE']) {
    const file = container?.env?.find((e) => e.name === variable)?.value;
    if (file === undefined) continue;
    const mount = container?.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
    const volume = spec.volumes?.find((v) => v.name === mount?.name);
    const item = volume?.secret?.items?.find((i) => `${mount?.mountPath ?? ''}/${i.path}` === file);
    files[variable] = { secret: volume?.secret?.secretName, key: item?.key };
  }
  return files;
}

function assertReadOnly(t: ExecutionContext, manifests: readonly Manifest[]): void {
  const spec = workloadPod(manifests, 'api').spec;
  const container = spec.containers.find((c) => c.name === 'api');
  const mount = container?.volumeMounts?.find((m) => container.env?.find((e) => e.name === 'AUTH_SECRET_FILE')?.value?.startsWith(`${m.mountPath}/`));
  t.true(mount?.readOnly);
  t.false(container?.env?.some((e) => e.name === 'AUTH_SECRET' || e.name === 'OPERATOR_TOKEN'), 'no key in plain env');
}

for (const helm of helms()) {
  const title = (what: string) => `${helm.label}: ${what}`;

  test(title('a signing key is generated, mounted as a read-only file, and no operator token by default'), async (t) => {
    const manifests = await render(helm, {});
    const data = one(manifests, 'Secret', authSecretName).data ?? {};
    t.deepEqual(Object.keys(data), ['auth-secret']);
    t.regex(decodeBase64(data['auth-secret'] ?? ''), /^[A-Za-z0-9]{64}$/);
    t.deepEqual(keyFiles(workloadPod(manifests, 'api').spec), { AUTH_SECRET_FILE: { secret: authSecretName, key: 'auth-secret' } });
    assertReadOnly(t, manifests);
  });

  test(title('the operator token is generated and mounted when asked for'), async (t) => {
    const manifests = await render(helm, { set: ['apiAuth.operatorToken=true'] });
    const data = one(manifests, 'Secret', authSecretName).data ?? {};
    t.regex(decodeBase64(data['operator-token'] ?? ''), /^[A-Za-z0-9]{48}$/);
    t.deepEqual(keyFiles(workloadPod(manifests, 'api').spec).OPERATOR_TOKEN_FILE, { secret: authSecretName, key: 'operator-token' });
  });

  test(title('apiAuth.existingSecret: no Secret rendered, the keys are read from it under the documented names'), async (t) => {
    const manifests = await render(helm, { set: ['apiAuth.existingSecret=my-api-keys', 'apiAuth.operatorToken=true'] });
    t.false(allOf(manifests, 'Secret').some((secret) => secret.metadata?.name === authSecretName));
    t.deepEqual(keyFiles(workloadPod(manifests, 'api').spec), {
      AUTH_SECRET_FILE: { secret: 'my-api-keys', key: 'auth-secret' },
      OPERATOR_TOKEN_FILE: { secret: 'my-api-keys', key: 'operator-token' },
    });
    assertReadOnly(t, manifests);
  });

  test(title('token lifetime and throttling reach the API through its ConfigMap'), async (t) => {
    const config = one(await render(helm, { set: ['apiAuth.tokenTtlSeconds=600', 'apiAuth.loginThrottleLimit=10'] }), 'ConfigMap', names.api).data ?? {};
    t.like(config, { AUTH_TOKEN_TTL_SECONDS: '600', LOGIN_THROTTLE_LIMIT: '10', LOGIN_THROTTLE_WINDOW_SECONDS: '900' });
  });
}
