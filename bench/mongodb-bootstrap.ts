// Memory of the MongoDB bootstrap sidecar: runs the chart's bootstrap.js under the npm mongosh against
// scripted members (test/chart/scripted-mongod.ts) while one member stays Pending, the case where the
// sidecar loops longest, and samples mongosh's resident memory. The peak must stay well below the
// sidecar's memory limit (mongodb.sidecarResources, 384Mi).
//   npm run bench:bootstrap [-- --steps 300 --interval-ms 500]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../test/chart/render.ts';
import { mongoshHome, rssMiB, runMongosh, silentHost } from '../test/chart/mongosh.ts';
import { ScriptedReplicaSet } from '../test/chart/scripted-mongod.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '300' },
    'interval-ms': { type: 'string', default: '500' },
  },
});
const steps = Number(values.steps);
const intervalMs = Number(values['interval-ms']);
/** Headroom under the 384Mi limit for the image's mongosh, a different build than the npm one measured here. */
const targets = { peakRssMiB: 320, localConnections: 4 };

const scripts = path.join(repoRoot, 'chart', 'files', 'mongodb');
const dir = await mkdtemp(path.join(os.tmpdir(), 'pf-bootstrap-bench-'));
const set = new ScriptedReplicaSet('rs0');
try {
  await mongoshHome(dir);
  await writeFile(path.join(dir, 'root-password'), 'bench-root\n');
  await writeFile(path.join(dir, 'app-password'), 'bench-app\n');
  const members = await set.add(2, [{ db: 'admin', user: 'root', pwd: 'bench-root', roles: [{ role: 'root', db: 'admin' }] }]);
  const [local] = members;
  if (local === undefined) throw new Error('no member');
  set.hold({ _id: 'rs0', version: 2, members: members.map((m, i) => ({ _id: i, host: m.host })) }, members, local);
  const run = runMongosh(['--nodb', '--quiet', path.join(scripts, 'bootstrap.js')], {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    MEMBERS: [...members.map((m) => m.host), await silentHost()].join(','),
    REPLICA_SET_NAME: 'rs0',
    LOCAL_ADDRESS: local.host,
    MONGO_ROOT_USERNAME: 'root',
    MONGO_ROOT_PASSWORD_FILE: path.join(dir, 'root-password'),
    PLAYERFINDER_DATABASE: 'playerfinder',
    PLAYERFINDER_USERNAME: 'playerfinder',
    PLAYERFINDER_PASSWORD_FILE: path.join(dir, 'app-password'),
    APP_USER_SCRIPT: path.join(scripts, 'create-app-user.js'),
    BOOTSTRAP_INTERVAL_MS: String(intervalMs),
  });
  try {
    console.log(`bootstrap.js waiting for a Pending member: ${String(steps)} steps, ${String(intervalMs)} ms apart`);
    console.log('| steps | mongosh RSS MiB | connections opened to the local mongod | open now |');
    console.log('|---|---|---|---|');
    let peak = 0;
    const every = Math.max(1, Math.round(steps / 10));
    for (let step = every; step <= steps; step += every) {
      await run.waitFor(/waiting for .* to answer/, step);
      const rss = await rssMiB(run.pid);
      peak = Math.max(peak, rss);
      console.log(`| ${String(step)} | ${rss.toFixed(0)} | ${String(local.totalConnections)} | ${String(local.openConnections)} |`);
    }
    const met = peak <= targets.peakRssMiB && local.totalConnections <= targets.localConnections;
    console.log(`peak RSS ${peak.toFixed(0)} MiB (target <= ${String(targets.peakRssMiB)}), ${String(local.totalConnections)} local connections (target <= ${String(targets.localConnections)}): ${met ? 'met' : 'MISSED'}`);
    process.exitCode = met ? 0 : 1;
  } finally {
    await run.stop();
  }
} finally {
  await set.stop();
  await rm(dir, { recursive: true, force: true });
}
