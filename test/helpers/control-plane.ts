// A real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) on free loopback ports
// with a throwaway data directory, for the cluster tests. No kubelet or scheduler: Pods stay Pending.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './net.ts';

export interface ControlPlaneBinaries {
  readonly etcd: string;
  readonly apiserver: string;
  readonly controllerManager: string;
}

export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface ControlPlane {
  /** Environment for helm: the admin kubeconfig, and its discovery cache in the throwaway directory. */
  readonly env: NodeJS.ProcessEnv;
  /** One request to the API server as the admin; resolves with any status. */
  api(method: string, apiPath: string, body?: unknown, accept?: string): Promise<KubeResponse>;
  /** Stops the processes this started (by pid) and removes the data directory. */
  stop(): Promise<void>;
}

const startTimeoutMs = 60_000;

interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: string;
  readonly exited: Promise<unknown>;
}

async function logTail(started: Started): Promise<string> {
  const text = await readFile(started.log, 'utf8').catch(() => '');
  return text.split('\n').slice(-30).join('\n');
}

export async function startControlPlane(binaries: ControlPlaneBinaries): Promise<ControlPlane> {
  const dir = await mkdtemp(path.join(tmpdir(), 'playerfinder-cluster-'));
  const started: Started[] = [];
  // A worker that dies without running after-hooks must not leave servers behind.
  const killAll = (): void => {
    for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  const launch = async (name: string, command: string, args: readonly string[]): Promise<Started> => {
    const log = path.join(dir, `${name}.log`);
    const output = createWriteStream(log);
    await once(output, 'open');
    const child = spawn(command, args, { stdio: ['ignore', output, output] });
    const entry = { name, child, log, exited: once(child, 'exit') };
    started.push(entry);
    return entry;
  };

  const stop = async (): Promise<void> => {
    // Reverse order: controllers first, etcd last.
    for (const { child, exited } of [...started].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', killAll);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const [etcdPort, peerPort, apiPort, controllerPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const etcdUrl = `http://127.0.0.1:${String(etcdPort)}`;
    const token = randomBytes(24).toString('hex');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(path.join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
    await writeFile(path.join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(path.join(dir, 'tokens.csv'), `${token},admin,admin,system:masters\n`);

    await launch('etcd', binaries.etcd, [
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${String(peerPort)}`,
      '--log-level=warn',
    ]);
    const apiserver = await launch('kube-apiserver', binaries.apiserver, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // A loopback advertise address is refused by the default endpoint reconciler.
      '--endpoint-reconciler-type=none',
      `--secure-port=${String(apiPort)}`,
      `--cert-dir=${path.join(dir, 'certs')}`,
      `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      // Only bookkeeping for ClusterIPs: nothing is ever sent there.
      '--service-cluster-ip-range=10.96.0.0/16',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
    ]);

    // The API server writes its self-signed serving certificate (and the CA that signed it) at start.
    const certificate = path.join(dir, 'certs', 'apiserver.crt');
    const server = `https://127.0.0.1:${String(apiPort)}`;
    let ca: Buffer | undefined;
    const api = async (method: string, apiPath: string, body?: unknown, accept = 'application/json'): Promise<KubeResponse> => {
      ca ??= await readFile(certificate);
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const call = request(
          `${server}${apiPath}`,
          {
            method,
            ca,
            headers: { authorization: `Bearer ${token}`, accept, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
            timeout: 30_000,
          },
          (response) => {
            let text = '';
            response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            response.on('end', () => {
              let parsed: unknown = text;
              try {
                parsed = JSON.parse(text);
              } catch {
                // /readyz and friends answer plain text.
              }
              resolve({ status: response.statusCode ?? 0, body: parsed });
            });
          },
        );
        call.on('timeout', () => call.destroy(new Error(`${method} ${apiPath}: timed out`)));
        call.on('error', reject);
        call.end(payload);
      });
    };

    const deadline = Date.now() + startTimeoutMs;
    const waitFor = async (what: string, check: () => Promise<boolean>): Promise<void> => {
      for (;;) {
        const exited = started.find(({ child }) => child.exitCode !== null || child.signalCode !== null);
        if (exited !== undefined) throw new Error(`${exited.name} exited while waiting for ${what}:\n${await logTail(exited)}`);
        if (await check().catch(() => false)) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${await logTail(apiserver)}`);
        await sleep(200);
      }
    };
    await waitFor('the API server to be ready', async () => existsSync(certificate) && (await api('GET', '/readyz')).status === 200);

    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'local', cluster: { server, 'certificate-authority': certificate } }],
        users: [{ name: 'admin', user: { token } }],
        contexts: [{ name: 'local', context: { cluster: 'local', user: 'admin' } }],
        'current-context': 'local',
      }),
      { mode: 0o600 },
    );
    await launch('kube-controller-manager', binaries.controllerManager, [
      `--kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${String(controllerPort)}`,
      `--service-account-private-key-file=${path.join(dir, 'sa.key')}`,
      // No nodes here: the node IPAM and lifecycle controllers have nothing to do.
      '--controllers=*,-nodeipam,-nodelifecycle',
      '--leader-elect=false',
    ]);
    // The ServiceAccount controller creating `default` shows the controllers are running.
    await waitFor('the controller manager', async () => (await api('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200);

    const env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: path.join(dir, 'kube-cache') };
    return { env, api, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
