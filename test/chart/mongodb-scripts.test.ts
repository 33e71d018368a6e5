// The bundled MongoDB's scripts and probe, as the chart renders them, run by the real mongosh against
// scripted members (scripted-mongod.ts, which lists the mongod behaviours they stand for and where MongoDB
// documents them). The environment comes from the rendered containers, so a name the chart and a script
// disagree on fails here; only addresses, file locations and the retry interval are changed.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { helms, names, one, renderScenario, workloadContainer } from './render.ts';
import type { Manifest } from './render.ts';
import { decodeBase64 } from './kube.ts';
import { ScriptedMember, ScriptedReplicaSet } from './scripted-mongod.ts';
import type { User } from './scripted-mongod.ts';
import { mongoshHome, runMongosh, silentHost } from './mongosh.ts';
import type { Run } from './mongosh.ts';

const credentialsDir = '/var/run/secrets/mongodb/';
const scriptsDir = '/scripts/';

interface Pod {
  readonly dir: string;
  readonly manifests: readonly Manifest[];
  readonly root: User;
  readonly appPassword: string;
}

/**
 * A pod's files on this machine: the rendered scripts ConfigMap and Secret (each password with a trailing
 * newline, as `kubectl create secret --from-file` leaves it; CRLF from a file saved on Windows), and a
 * mongosh HOME with telemetry off.
 */
async function podFiles(manifests: readonly Manifest[], newline = '\n'): Promise<Pod> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pf-mongosh-'));
  await mkdir(path.join(dir, 'scripts'));
  await mkdir(path.join(dir, 'secrets'));
  await mongoshHome(path.join(dir, 'home'));
  for (const [file, text] of Object.entries(one(manifests, 'ConfigMap', names.scripts).data ?? {})) await writeFile(path.join(dir, 'scripts', file), text);
  const secret = one(manifests, 'Secret', names.secret).data ?? {};
  for (const [key, value] of Object.entries(secret)) await writeFile(path.join(dir, 'secrets', key), `${decodeBase64(value)}${newline}`);
  const rootPassword = decodeBase64(secret['mongodb-root-password'] ?? '');
  return {
    dir,
    manifests,
    root: { db: 'admin', user: 'root', pwd: rootPassword, roles: [{ role: 'root', db: 'admin' }] },
    appPassword: decodeBase64(secret['mongodb-password'] ?? ''),
  };
}

/** The container's rendered environment, with the pod's paths moved into `pod.dir`. */
function containerEnv(pod: Pod, container: IContainer, overrides: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const { name, value } of container.env ?? []) {
    env[name] = (value ?? '').replace(credentialsDir, `${pod.dir}/secrets/`).replace(scriptsDir, `${pod.dir}/scripts/`);
  }
  return { ...env, HOME: path.join(pod.dir, 'home'), ...overrides };
}

const hasEnv = (container: IContainer, name: string) => (container.env ?? []).some((e) => e.name === name);

// The scripts do not depend on the helm version: one helm renders them.
for (const helm of helms().slice(0, 1)) {
  /** Starts the bootstrap sidecar's script of pod 0 with `members` in place of the rendered host names. */
  function bootstrap(pod: Pod, members: readonly string[], intervalMs = 100): Run {
    const sidecar = workloadContainer(pod.manifests, 'mongodb', 'bootstrap');
    const rendered = sidecar.command?.join(' ') ?? '';
    const script = /mongosh --nodb --quiet \/scripts\/(\S+)/.exec(rendered)?.[1] ?? 'missing';
    const env = containerEnv(pod, sidecar, {
      LOCAL_ADDRESS: members[0] ?? '',
      ...(hasEnv(sidecar, 'MEMBERS') ? { MEMBERS: members.join(',') } : {}),
      APP_USER_SCRIPT: path.join(pod.dir, 'scripts', 'create-app-user.js'),
      BOOTSTRAP_INTERVAL_MS: String(intervalMs),
    });
    return runMongosh(['--nodb', '--quiet', path.join(pod.dir, 'scripts', script)], env);
  }

  const appUser = (pod: Pod): User => ({ db: 'playerfinder', user: 'playerfinder', pwd: pod.appPassword, roles: [{ role: 'readWrite', db: 'playerfinder' }] });

  interface Fixture {
    readonly pod: Pod;
    readonly set: ScriptedReplicaSet;
    readonly members: readonly ScriptedMember[];
    /** Starts pod 0's bootstrap with these member addresses (stopped when the test ends). */
    readonly start: (hosts: readonly string[], intervalMs?: number) => Run;
  }

  /** `count` scripted --replSet members whose volumes hold the root user (`rootPassword` or the Secret's). */
  async function withReplicaSet(count: number, use: (fixture: Fixture) => Promise<void>, rootPassword?: string): Promise<void> {
    const pod = await podFiles(await renderScenario(helm, 'replicaSet'));
    const set = new ScriptedReplicaSet('rs0');
    const runs: Run[] = [];
    try {
      const members = await set.add(count, [{ ...pod.root, pwd: rootPassword ?? pod.root.pwd }]);
      await use({
        pod,
        set,
        members,
        start: (hosts, intervalMs) => {
          const run = bootstrap(pod, hosts, intervalMs);
          runs.push(run);
          return run;
        },
      });
    } finally {
      for (const run of runs) await run.stop();
      await set.stop();
      await rm(pod.dir, { recursive: true, force: true });
    }
  }

  const hostsOf = (members: readonly ScriptedMember[]) => members.map((m) => m.host);

  test('replica set: a fresh 3-member set is initiated once by member 0 and grows one reconfig at a time', async (t) => {
    await withReplicaSet(3, async ({ pod, members, start }) => {
      const [m0, m1, m2] = members as [ScriptedMember, ScriptedMember, ScriptedMember];
      const run = start(hostsOf(members));
      t.is(await run.exited, 0, run.lines.join('\n'));
      t.regex(run.lines.at(-1) ?? '', /replica set rs0 has all 3 members/);
      t.is(m0.count('replSetInitiate'), 1, 'never twice, though the election took several steps');
      t.deepEqual(m0.received.find((r) => r.name === 'replSetInitiate')?.body.replSetInitiate, { _id: 'rs0', members: [{ _id: 0, host: m0.host }] });
      for (const other of [m1, m2]) {
        t.is(other.count('replSetInitiate'), 0);
        t.is(other.count('replSetReconfig'), 0, 'only the primary is reconfigured');
      }
      const reconfigs = m0.received.filter((r) => r.name === 'replSetReconfig').map((r) => r.body.replSetReconfig as { version: number; members: { host: string }[] });
      t.deepEqual(
        reconfigs.map((c) => [c.version, c.members.map((m) => m.host)]),
        [
          [2, [m0.host, m1.host]],
          [3, [m0.host, m1.host, m2.host]],
        ],
      );
      t.deepEqual(m0.users.find((u) => u.user === 'playerfinder'), appUser(pod), 'app user created on the primary, password without the trailing newline');
    });
  });

  test('replica set: member 0 on an empty volume does not initiate while the others hold the set, and rejoins', async (t) => {
    await withReplicaSet(3, async ({ pod, set, members, start }) => {
      const [m0, m1, m2] = members as [ScriptedMember, ScriptedMember, ScriptedMember];
      const config = { _id: 'rs0', version: 3, members: members.map((m, i) => ({ _id: i, host: m.host })) };
      set.hold(config, [m1, m2], m1);
      m1.users.push(appUser(pod));
      const run = start(hostsOf(members));
      await run.waitFor(/not initiating: .* already hold a configuration/, 3);
      // The primary's heartbeat reaches the empty member, which syncs from it.
      m0.adopt(m1.config ?? config, 100);
      t.is(await run.exited, 0, run.lines.join('\n'));
      for (const member of members) {
        t.is(member.count('replSetInitiate'), 0, member.host);
        t.is(member.count('replSetReconfig'), 0, member.host);
      }
      t.is(m0.config?.settings?.replicaSetId?.toHexString(), m1.config?.settings?.replicaSetId?.toHexString(), 'one set, not two');
      t.is(m1.users.filter((u) => u.user === 'playerfinder').length, 1, 'an existing app user is left alone');
    });
  });

  test('replica set: with another member primary, pod 0 adds the missing member there and closes that connection', async (t) => {
    await withReplicaSet(3, async ({ pod, set, members, start }) => {
      const [m0, m1, m2] = members as [ScriptedMember, ScriptedMember, ScriptedMember];
      set.hold({ _id: 'rs0', version: 4, members: [m0, m1].map((m, i) => ({ _id: i, host: m.host })) }, [m0, m1], m1);
      const run = start(hostsOf(members));
      t.is(await run.exited, 0, run.lines.join('\n'));
      t.deepEqual(
        m1.received.filter((r) => r.name === 'replSetReconfig').map((r) => (r.body.replSetReconfig as { version: number; members: { _id: number; host: string }[] }).members.at(-1)),
        [{ _id: 2, host: m2.host }],
      );
      t.is(m0.count('replSetReconfig'), 0, 'a secondary cannot be reconfigured');
      t.deepEqual(m1.users.find((u) => u.user === 'playerfinder'), appUser(pod), 'the app user is created on the primary');
      // Closing a connection ends its sessions: the primary's come before the last command of the run, on
      // the local connection the script closes as it ends. Left open, they would end only as mongosh exits.
      t.is(m1.received.at(-1)?.name, 'endSessions');
      t.true((m1.received.at(-1)?.at ?? Infinity) < (m0.received.at(-1)?.at ?? 0), 'the connection to the primary is closed as soon as it is done with');
    });
  });

  test('replica set: a member that does not answer yet blocks initiation', async (t) => {
    await withReplicaSet(2, async ({ members, start }) => {
      const pending = await silentHost();
      const run = start([...hostsOf(members), pending]);
      await run.waitFor(new RegExp(`not initiating until every member answers: ${pending}`), 3);
      for (const member of members) t.is(member.count('replSetInitiate'), 0, member.host);
    });
  });

  test('replica set: waiting 300 steps for a Pending member keeps one connection to the local mongod', async (t) => {
    await withReplicaSet(2, async ({ set, members, start }) => {
      const [m0, m1] = members as [ScriptedMember, ScriptedMember];
      const pending = await silentHost();
      set.hold({ _id: 'rs0', version: 2, members: members.map((m, i) => ({ _id: i, host: m.host })) }, members, m0);
      const run = start([m0.host, m1.host, pending], 10);
      // Memory over time is measured by `npm run bench:bootstrap` (numbers in the chart README).
      await run.waitFor(/waiting for .* to answer/, 300);
      // One client to the local mongod: its monitor and pool connection, opened twice (connect, then auth).
      t.true(m0.totalConnections <= 4, `${String(m0.totalConnections)} connections opened to the local mongod`);
      t.true(m0.maxOpenConnections <= 4, `${String(m0.maxOpenConnections)} open at once`);
      t.is(m1.totalConnections, 0, 'the secondary is never needed: the local member is primary');
    });
  });

  test('a volume whose users do not match the Secret: the sidecar says how to recover and keeps trying', async (t) => {
    await withReplicaSet(
      3,
      async ({ members, start }) => {
        const run = start(hostsOf(members));
        await run.waitFor(/authentication as root failed: .*delete the PVC of this member and its pod \(chart README, "Recovering a member"\)/, 2);
        for (const member of members) t.is(member.count('replSetInitiate'), 0, member.host);
      },
      'created-with-another-secret',
    );
  });

  test('standalone: the sidecar creates a missing app user, and leaves an existing one alone', async (t) => {
    const pod = await podFiles(await renderScenario(helm, 'defaults'));
    // A volume whose first start died after the root user was created, before the initdb script ran.
    const member = await new ScriptedMember({ users: [pod.root] }).start();
    try {
      for (const attempt of [1, 2]) {
        const run = bootstrap(pod, [member.host]);
        t.is(await run.exited, 0, run.lines.join('\n'));
        t.is(run.lines.at(-1), 'standalone ready', `run ${String(attempt)}`);
      }
      t.deepEqual(
        member.users.filter((u) => u.user === 'playerfinder'),
        [appUser(pod)],
      );
      t.is(member.count('createUser'), 2, 'the second run met "already exists" and went on');
    } finally {
      await member.stop();
      await rm(pod.dir, { recursive: true, force: true });
    }
  });

  for (const [newline, ending] of [['\n', 'LF'], ['\r\n', 'CRLF']] as const) {
    test(`create-app-user.js runs as the image entrypoint runs it: unauthenticated, against the temporary mongod (password file ending in ${ending})`, async (t) => {
      const pod = await podFiles(await renderScenario(helm, 'defaults'), newline);
      const mongod = workloadContainer(pod.manifests, 'mongodb', 'mongodb');
      const initdb = mongod.volumeMounts?.find((m) => m.mountPath.startsWith('/docker-entrypoint-initdb.d/'));
      const member = await new ScriptedMember({ auth: false }).start();
      try {
        const [, port] = member.host.split(':');
        for (const attempt of [1, 2]) {
          // docker-entrypoint.sh: "${mongo[@]}" "$MONGO_INITDB_DATABASE" "$f", with mongo=(mongosh --host 127.0.0.1 --port 27017 --quiet)
          const run = runMongosh(['--host', '127.0.0.1', '--port', port ?? '', '--quiet', 'test', path.join(pod.dir, 'scripts', initdb?.subPath ?? 'missing')], containerEnv(pod, mongod, {}));
          t.is(await run.exited, 0, `run ${String(attempt)}: ${run.lines.join('\n')}`);
        }
        t.deepEqual(member.users, [appUser(pod)], 'readWrite on the app database only');
      } finally {
        await member.stop();
        await rm(pod.dir, { recursive: true, force: true });
      }
    });
  }

  test('mongosh throws on a command answered ok: 0, so the scripts must catch NotYetInitialized by its code', async (t) => {
    const pod = await podFiles(await renderScenario(helm, 'replicaSet'));
    const member = await new ScriptedMember({ replSet: 'rs0', auth: false }).start();
    try {
      const command = 'try { db.adminCommand({ replSetGetStatus: 1 }); print("returned") } catch (e) { print(`threw ${e.name} ${String(e.code)}`) }';
      const run = runMongosh(['--quiet', '--port', member.host.split(':')[1] ?? '', '--eval', command], containerEnv(pod, { name: 'shell' }, {}));
      t.is(await run.exited, 0);
      t.deepEqual(run.lines.filter((line) => line !== ''), ['threw MongoServerError 94']);
    } finally {
      await member.stop();
      await rm(pod.dir, { recursive: true, force: true });
    }
  });

  test('readiness: the rendered probe passes for primary, secondary and standalone, fails for uninitialised, STARTUP2 and RECOVERING', async (t) => {
    const manifests = await renderScenario(helm, 'replicaSet');
    const pod = await podFiles(manifests);
    const probe = workloadContainer(manifests, 'mongodb', 'mongodb').readinessProbe?.exec?.command ?? [];
    t.is(probe[0], 'mongosh');
    const set = new ScriptedReplicaSet('rs0');
    const [primary, secondary, startup2, recovering, uninitialised] = (await set.add(5, [pod.root])) as [ScriptedMember, ScriptedMember, ScriptedMember, ScriptedMember, ScriptedMember];
    set.hold({ _id: 'rs0', version: 1, members: [primary, secondary, startup2, recovering].map((m, i) => ({ _id: i, host: m.host })) }, [primary, secondary, startup2, recovering], primary);
    startup2.state = 'STARTUP2';
    recovering.state = 'RECOVERING';
    const standalone = await new ScriptedMember({ users: [pod.root] }).start();
    try {
      const cases = [
        [primary, 0],
        [secondary, 0],
        [standalone, 0],
        [uninitialised, 1],
        [startup2, 1],
        [recovering, 1],
      ] as const;
      const results = await Promise.all(
        cases.map(async ([member]) => {
          const run = runMongosh([...probe.slice(1), '--port', member.host.split(':')[1] ?? ''], containerEnv(pod, { name: 'probe' }, {}));
          return { code: await run.exited, output: run.lines.join('\n') };
        }),
      );
      cases.forEach(([member, expected], i) => {
        const label = member.state ?? (member.options.replSet === undefined ? 'standalone' : 'uninitialised');
        t.is(results[i]?.code, expected, `${label}: ${results[i]?.output ?? ''}`);
      });
    } finally {
      await set.stop();
      await standalone.stop();
      await rm(pod.dir, { recursive: true, force: true });
    }
  });
}
