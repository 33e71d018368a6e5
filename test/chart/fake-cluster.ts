// Just enough of a Kubernetes API server for `helm template --dry-run=server`: discovery for the kinds a
// chart renders and GET of the objects given, so the chart's `lookup` sees "live" objects offline.
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { namespace, parseManifests, releaseName, render, run, templateArgs, type Helm, type Manifest, type RenderOptions } from './render.ts';

export interface FakeCluster {
  /** A kubeconfig file pointing at the fake server. */
  readonly kubeconfig: string;
  close(): Promise<void>;
}

interface LiveObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string; readonly [field: string]: unknown };
  readonly [field: string]: unknown;
}

/** Serves discovery for every kind in `kinds` (e.g. a client-side render) and the `live` objects. */
export async function startFakeCluster(kinds: readonly Manifest[], live: readonly LiveObject[]): Promise<FakeCluster> {
  const groups = new Map<string, Map<string, string>>();
  for (const { apiVersion, kind } of [...kinds, ...live]) {
    const resources = groups.get(apiVersion) ?? new Map<string, string>();
    // Any consistent plural works: helm takes the resource name from this discovery answer.
    resources.set(kind, `${kind.toLowerCase()}s`);
    groups.set(apiVersion, resources);
  }
  const resourceList = (groupVersion: string) => ({
    kind: 'APIResourceList',
    groupVersion,
    resources: [...(groups.get(groupVersion) ?? new Map<string, string>())].map(([kind, name]) => ({ name, singularName: kind.toLowerCase(), namespaced: true, kind, verbs: ['get', 'list', 'create'] })),
  });
  const named = [...groups.keys()].filter((version) => version.includes('/'));
  const routes = new Map<string, unknown>([
    ['/version', { major: '1', minor: '31', gitVersion: 'v1.31.0', platform: 'linux/amd64' }],
    ['/api', { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }],
    ['/api/v1', resourceList('v1')],
    [
      '/apis',
      {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...new Set(named.map((version) => version.split('/')[0] ?? ''))].map((name) => {
          const versions = named.filter((version) => version.startsWith(`${name}/`)).map((groupVersion) => ({ groupVersion, version: groupVersion.split('/')[1] ?? '' }));
          return { name, versions, preferredVersion: versions[0] };
        }),
      },
    ],
    ...named.map((version) => [`/apis/${version}`, resourceList(version)] as const),
    ...live.map((object) => {
      const plural = groups.get(object.apiVersion)?.get(object.kind) ?? '';
      const prefix = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
      return [`${prefix}/namespaces/${object.metadata.namespace}/${plural}/${object.metadata.name}`, object] as const;
    }),
  ]);
  const reply = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const server = createServer((request, response) => {
    const body = routes.get((request.url ?? '').split('?')[0] ?? '');
    if (body === undefined) reply(response, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    else reply(response, 200, body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const directory = await mkdtemp(path.join(tmpdir(), 'playerfinder-fake-cluster-'));
  const kubeconfig = path.join(directory, 'kubeconfig');
  const { port } = server.address() as AddressInfo;
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${String(port)}` } }],
      users: [{ name: 'fake', user: { token: 'fake' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
      'current-context': 'fake',
    }),
  );
  return {
    kubeconfig,
    async close() {
      server.closeAllConnections();
      server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * `helm template --dry-run=server` against a fake cluster holding `secrets` (name → base64 data), as an
 * earlier install of this release left them: what `helm upgrade` renders, `lookup` included.
 */
export async function renderUpgrade(helm: Helm, options: RenderOptions, secrets: Record<string, Record<string, string>>): Promise<Manifest[]> {
  const live = Object.entries(secrets).map(([name, data]) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    // Helm checks this ownership before it takes an existing object over.
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'Helm' },
      annotations: { 'meta.helm.sh/release-name': releaseName, 'meta.helm.sh/release-namespace': namespace },
    },
    type: 'Opaque',
    data,
  }));
  const cluster = await startFakeCluster(await render(helm, options), live);
  try {
    // The fake serves no OpenAPI documents; the render tests validate every object against the schemas.
    const result = await run(helm.path, [...templateArgs(options), '--dry-run=server', '--disable-openapi-validation', '--kubeconfig', cluster.kubeconfig]);
    if (result.code !== 0) throw new Error(`helm template --dry-run=server failed: ${result.stderr}`);
    return parseManifests(result.stdout, `${helm.label} template against the fake cluster`);
  } finally {
    await cluster.close();
  }
}
