// The API workload against the app's contract: probes, port, shutdown budget, scaling objects,
// metrics discovery and ingress (the helm test hook runs in helm-test-hook.test.ts).
import test from 'ava';
import { loadConfig } from '../../src/config.ts';
import { allOf, helms, names, one, render, renderScenario, run, templateArgs, workloadContainer, workloadPod } from './render.ts';
import type { Helm, Manifest, RenderOptions } from './render.ts';
import { mebibytes } from './kube.ts';

const apiContainer = (manifests: readonly Manifest[]) => workloadContainer(manifests, 'api', 'api');

async function renderFails(helm: Helm, options: RenderOptions): Promise<string> {
  const result = await run(helm.path, templateArgs(options));
  if (result.code === 0) throw new Error('render succeeded');
  return result.stderr;
}

for (const helm of helms()) {
  const title = (what: string) => `${helm.label}: ${what}`;

  for (const [port, healthPort] of [[8080, 8081], [9090, 9091]] as const) {
    test(title(`the Service uses the named port http = containerPort = PORT (${String(port)}), the probes health = HEALTH_PORT (${String(healthPort)})`), async (t) => {
      const manifests = await render(helm, { set: [`app.port=${String(port)}`, `app.healthPort=${String(healthPort)}`] });
      const container = apiContainer(manifests);
      t.deepEqual(container.ports?.map((p) => [p.name, p.containerPort]), [['http', port], ['health', healthPort]]);
      const config = one(manifests, 'ConfigMap', names.api).data ?? {};
      t.is(config.PORT, String(port));
      t.is(config.HEALTH_PORT, String(healthPort));
      t.deepEqual(container.envFrom?.map((e) => e.configMapRef?.name), [names.api]);
      t.deepEqual(container.startupProbe?.httpGet, { path: '/healthz', port: 'health' });
      t.deepEqual(container.livenessProbe?.httpGet, { path: '/healthz', port: 'health' });
      t.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: 'health' });
      const service = one(manifests, 'Service', names.api);
      t.is(service.spec?.type, 'ClusterIP');
      t.deepEqual(service.spec?.ports?.map((p) => [p.name, p.port, p.targetPort]), [['http', 80, 'http']]);
      const annotations = workloadPod(manifests, 'api').annotations;
      t.is(annotations['prometheus.io/scrape'], 'true');
      t.is(annotations['prometheus.io/port'], String(port));
      t.is(annotations['prometheus.io/path'], '/metrics');
    });
  }

  for (const [delayMs, timeoutMs] of [
    [5000, 10000],
    [20000, 30500],
  ] as const) {
    test(title(`terminationGracePeriodSeconds covers shutdown delay ${String(delayMs)} + timeout ${String(timeoutMs)} ms`), async (t) => {
      const manifests = await render(helm, { set: [`shutdown.delayMs=${String(delayMs)}`, `shutdown.timeoutMs=${String(timeoutMs)}`] });
      const config = one(manifests, 'ConfigMap', names.api).data ?? {};
      t.is(config.SHUTDOWN_DELAY_MS, String(delayMs));
      t.is(config.SHUTDOWN_TIMEOUT_MS, String(timeoutMs));
      const grace = workloadPod(manifests, 'api').spec.terminationGracePeriodSeconds ?? 30;
      t.true(grace > (delayMs + timeoutMs) / 1000, `${String(grace)} s`);
      t.is(grace, Math.ceil((delayMs + timeoutMs) / 1000) + 5, 'delay + timeout rounded up, plus the default 5 s margin');
    });
  }

  test(title('database.operationTimeoutMs reaches the service as its query time limit'), async (t) => {
    const config = one(await render(helm, { set: ['database.operationTimeoutMs=30000'] }), 'ConfigMap', names.api).data ?? {};
    t.is(loadConfig({ ...config, MONGODB_PASSWORD: 'from-the-secret', AUTH_SECRET: 'a-signing-key-of-at-least-32-bytes!!' }).mongo?.operationTimeoutMs, 30_000);
    t.regex(await renderFails(helm, { set: ['database.operationTimeoutMs=0'] }), /operationTimeoutMs/);
  });

  test(title('a health port equal to the API port is refused'), async (t) => {
    t.regex(await renderFails(helm, { set: ['app.healthPort=8080'] }), /app\.healthPort=8080: must differ from app\.port/);
  });

  test(title('a drain delay shorter than readiness failure detection is refused'), async (t) => {
    const stderr = await renderFails(helm, { set: ['shutdown.delayMs=1000'] });
    t.regex(stderr, /shutdown\.delayMs=1000 is shorter than readiness periodSeconds x failureThreshold \(4000 ms\)/);
  });

  test(title('one replica: no HPA and no PDB; the Deployment sets replicas'), async (t) => {
    const manifests = await renderScenario(helm, 'defaults');
    t.deepEqual(allOf(manifests, 'HorizontalPodAutoscaler'), []);
    t.deepEqual(allOf(manifests, 'PodDisruptionBudget'), []);
    t.is(one(manifests, 'Deployment', names.api).spec?.replicas, 1);
  });

  test(title('several replicas: HPA (owning the replica count) and PDB are on by default'), async (t) => {
    const manifests = await render(helm, { set: ['replicaCount=3'] });
    const hpa = one(manifests, 'HorizontalPodAutoscaler', names.api);
    t.is(hpa.spec.minReplicas, 3);
    t.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: names.api });
    t.is(one(manifests, 'Deployment', names.api).spec?.replicas, undefined, 'no fixed count fighting the HPA');
    t.is(one(manifests, 'PodDisruptionBudget', names.api).spec?.maxUnavailable, 1);
  });

  test(title('HPA and PDB can be switched off explicitly'), async (t) => {
    const manifests = await render(helm, { set: ['replicaCount=3', 'autoscaling.enabled=false', 'podDisruptionBudget.enabled=false'] });
    t.deepEqual(allOf(manifests, 'HorizontalPodAutoscaler'), []);
    t.deepEqual(allOf(manifests, 'PodDisruptionBudget'), []);
    t.is(one(manifests, 'Deployment', names.api).spec?.replicas, 3);
  });

  test(title('pods spread over hostnames and zones without blocking scheduling'), async (t) => {
    const manifests = await renderScenario(helm, 'aks');
    const { spec } = workloadPod(manifests, 'api');
    const constraints = spec.topologySpreadConstraints ?? [];
    t.deepEqual(constraints.map((c) => c.topologyKey), ['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    for (const c of constraints) {
      t.is(c.whenUnsatisfiable, 'ScheduleAnyway');
      t.deepEqual(c.labelSelector?.matchLabels, one(manifests, 'Deployment', names.api).spec?.selector.matchLabels);
    }
  });

  test(title('the service account token is never mounted'), async (t) => {
    const manifests = await renderScenario(helm, 'defaults');
    t.is(one(manifests, 'ServiceAccount', names.api).automountServiceAccountToken, false);
    const { spec } = workloadPod(manifests, 'api');
    t.is(spec.serviceAccountName, names.api);
    t.is(spec.automountServiceAccountToken, false);
  });

  test(title('the image defaults to appVersion with IfNotPresent, and a digest pins it'), async (t) => {
    t.is(apiContainer(await renderScenario(helm, 'defaults')).image, 'playerfinder:1.0.0');
    t.is(apiContainer(await renderScenario(helm, 'defaults')).imagePullPolicy, 'IfNotPresent');
    const digest = `sha256:${'a'.repeat(64)}`;
    const pinned = await render(helm, { set: ['image.repository=registry.example/pf', 'image.tag=abc123', `image.digest=${digest}`] });
    t.is(apiContainer(pinned).image, `registry.example/pf:abc123@${digest}`);
  });

  test(title('the pods roll when the configuration changes'), async (t) => {
    const before = workloadPod(await renderScenario(helm, 'defaults'), 'api').annotations['checksum/config'];
    const after = workloadPod(await render(helm, { set: ['app.logLevel=debug'] }), 'api').annotations['checksum/config'];
    t.regex(before ?? '', /^[0-9a-f]{64}$/);
    t.not(after, before);
  });

  test(title('ServiceMonitor only when its CRD is reported, or when forced'), async (t) => {
    const withoutCrd = await render(helm, { set: ['metrics.serviceMonitor.enabled=true'] });
    t.false(withoutCrd.some((m) => m.kind === 'ServiceMonitor'));
    const forced = await render(helm, { set: ['metrics.serviceMonitor.enabled=true', 'metrics.serviceMonitor.force=true'] });
    t.true(forced.some((m) => m.kind === 'ServiceMonitor'));
    const disabled = await render(helm, { apiVersions: ['monitoring.coreos.com/v1/ServiceMonitor'] });
    t.false(disabled.some((m) => m.kind === 'ServiceMonitor'));

    const manifests = await renderScenario(helm, 'serviceMonitor');
    const monitor = manifests.find((m) => m.kind === 'ServiceMonitor');
    t.is(monitor?.apiVersion, 'monitoring.coreos.com/v1');
    const spec = monitor?.spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } | undefined;
    const serviceLabels = one(manifests, 'Service', names.api).metadata?.labels ?? {};
    for (const [key, value] of Object.entries(spec?.selector.matchLabels ?? {})) t.is(serviceLabels[key], value, key);
    t.deepEqual(spec?.endpoints.map((e) => [e.port, e.path]), [['http', '/metrics']]);
  });

  test(title('AKS values: app routing Ingress with TLS from Key Vault to the API Service port http'), async (t) => {
    const manifests = await renderScenario(helm, 'aks');
    const ingress = one(manifests, 'Ingress', names.api);
    t.is(ingress.spec?.ingressClassName, 'webapprouting.kubernetes.azure.com');
    const backends = (ingress.spec?.rules ?? []).flatMap((r) => r.http?.paths.map((p) => p.backend.service) ?? []);
    t.true(backends.length > 0);
    for (const backend of backends) t.deepEqual(backend, { name: names.api, port: { name: 'http' } });
    // The app routing add-on syncs the Key Vault certificate named by the annotation into keyvault-<Ingress name>.
    t.regex(ingress.metadata?.annotations?.['kubernetes.azure.com/tls-cert-keyvault-uri'] ?? '', /^https:\/\/[^/]+\.vault\.azure\.net\/certificates\//);
    t.deepEqual(ingress.spec?.tls, [{ secretName: `keyvault-${ingress.metadata?.name ?? ''}`, hosts: (ingress.spec?.rules ?? []).map((r) => r.host) }]);
    t.is(apiContainer(manifests).image, 'myregistry.azurecr.io/playerfinder:1.0.0');
    t.true((one(manifests, 'HorizontalPodAutoscaler', names.api).spec.minReplicas ?? 0) >= 2);
  });

  for (const scenario of ['aks', 'kind'] as const) {
    test(title(`${scenario} values: the Ingress routes the API paths only, never /metrics, /openapi.json or the probes`), async (t) => {
      const ingress = one(await renderScenario(helm, scenario), 'Ingress', names.api);
      const routes = (request: string) =>
        (ingress.spec?.rules ?? []).some((rule) =>
          (rule.http?.paths ?? []).some((p) => (p.pathType === 'Exact' ? request === p.path : request === p.path || request.startsWith(`${(p.path ?? '').replace(/\/$/, '')}/`))),
        );
      for (const request of ['/v1/players', '/v1/players/ada_l', '/v1/games', '/status']) t.true(routes(request), request);
      for (const request of ['/metrics', '/openapi.json', '/healthz', '/readyz', '/']) t.false(routes(request), request);
    });
  }

  test(title('an enabled Ingress without TLS is refused unless plain HTTP is allowed explicitly'), async (t) => {
    t.regex(await renderFails(helm, { set: ['ingress.enabled=true'] }), /ingress\.enabled without ingress\.tls would carry players' personal data in clear text/);
    const allowed = await render(helm, { set: ['ingress.enabled=true', 'ingress.allowPlainHttp=true'] });
    t.is(one(allowed, 'Ingress', names.api).spec?.tls, undefined);
    const withTls = await render(helm, { set: ['ingress.enabled=true', 'ingress.tls[0].secretName=pf-tls', 'ingress.tls[0].hosts[0]=playerfinder.local'] });
    t.deepEqual(one(withTls, 'Ingress', names.api).spec?.tls, [{ secretName: 'pf-tls', hosts: ['playerfinder.local'] }]);
    t.true(one(await renderScenario(helm, 'kind'), 'Ingress', names.api).metadata !== undefined, 'kind allows plain HTTP on the local machine');
  });

  test(title('an Ingress path that would publish /metrics, /openapi.json or the probes is refused unless allowed'), async (t) => {
    const tls = ['ingress.enabled=true', 'ingress.tls[0].secretName=pf-tls', 'ingress.hosts[0].host=pf.example.com'];
    const path = (p: string, type: string) => [...tls, `ingress.hosts[0].paths[0].path=${p}`, `ingress.hosts[0].paths[0].pathType=${type}`];
    t.regex(await renderFails(helm, { set: path('/', 'Prefix') }), /ingress path \/ \(Prefix\) on pf\.example\.com would publish \/metrics, \/openapi\.json, \/healthz, \/readyz/);
    t.regex(await renderFails(helm, { set: path('/metrics', 'Exact') }), /would publish \/metrics:/);
    t.regex(await renderFails(helm, { set: path('/', 'ImplementationSpecific') }), /would publish \/metrics/);
    await render(helm, { set: path('/', 'Exact') });
    await render(helm, { set: path('/metricsx', 'Prefix') });
    const allowed = await render(helm, { set: [...path('/', 'Prefix'), 'ingress.exposeInternalPaths=true'] });
    t.is(one(allowed, 'Ingress', names.api).spec?.rules?.[0]?.http?.paths[0]?.path, '/');
  });

  test(title('kind values: one small replica'), async (t) => {
    const manifests = await renderScenario(helm, 'kind');
    t.is(one(manifests, 'Deployment', names.api).spec?.replicas, 1);
    t.is(one(manifests, 'StatefulSet', names.mongodb).spec?.replicas, 1);
  });

  test(title('API memory: the limit leaves headroom over the ~280 MiB RSS measured under load'), async (t) => {
    for (const scenario of ['defaults', 'kind', 'aks'] as const) {
      const { requests, limits } = apiContainer(await renderScenario(helm, scenario)).resources ?? {};
      const limit = mebibytes(limits?.memory);
      const request = mebibytes(requests?.memory);
      t.true(limit >= 512, `${scenario}: limit ${String(limits?.memory)} would be OOM-killed`);
      t.true(request >= 128 && request <= limit, `${scenario}: request ${String(requests?.memory)}`);
    }
  });

  test(title('the image accepts tag@digest and tag@ (skaffold IMAGE_TAG@IMAGE_DIGEST) without a double or dangling @'), async (t) => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const other = `sha256:${'c'.repeat(64)}`;
    const image = async (set: string[]) => apiContainer(await render(helm, { set: ['image.repository=registry.local/pf', ...set] })).image;
    t.is(await image(['image.tag=0123abcd@']), 'registry.local/pf:0123abcd', 'a local kind build has no registry digest');
    t.is(await image([`image.tag=0123abcd@${digest}`]), `registry.local/pf:0123abcd@${digest}`);
    t.is(await image([`image.tag=0123abcd@${digest}`, `image.digest=${other}`]), `registry.local/pf:0123abcd@${other}`, 'image.digest wins');
    const refused = await run(helm.path, templateArgs({ set: ['image.tag=latest@'] }));
    t.not(refused.code, 0);
  });
}
