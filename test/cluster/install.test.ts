// helm install of each supported value combination into a namespace enforcing the restricted Pod Security
// level of a real API server: every object is accepted and stored, and the controllers create every Pod
// (Pod Security admission refusing one shows as a FailedCreate event, not as a helm error).
import test from 'ava';
import { helms, scenarios, type ScenarioName } from '../chart/render.ts';
import { apiCall, controlPlaneForThisFile, createSecret, helmOk, objectPath, releaseArgs, releaseManifests, restrictedNamespace, settledWorkloads } from './cluster.ts';

const plane = controlPlaneForThisFile();

const installed: readonly ScenarioName[] = ['defaults', 'kind', 'aks', 'replicaSet', 'externalDatabase'];

if (plane !== undefined) {
  for (const helm of helms()) {
    for (const scenario of installed) {
      test(`${helm.label} ${scenario}: installs under restricted Pod Security and the controllers create every Pod`, async (t) => {
        const namespace = await restrictedNamespace(plane(), `${helm.label}-${scenario.toLowerCase()}`);
        if (scenario === 'externalDatabase') {
          await createSecret(plane(), namespace, 'playerfinder-db', { uri: 'mongodb://app:secret@mongodb.example:27017/playerfinder' });
        }
        await helmOk(plane(), helm, releaseArgs('install', 'playerfinder', namespace, scenarios[scenario]));

        const manifests = await releaseManifests(plane(), helm, 'playerfinder', namespace);
        t.true(manifests.length > 0);
        for (const manifest of manifests) {
          await t.notThrowsAsync(apiCall(plane(), 'GET', await objectPath(plane(), namespace, manifest)), `${manifest.kind}/${manifest.metadata.name} is stored`);
        }

        const state = await settledWorkloads(plane(), namespace);
        t.deepEqual(state.failedCreate.map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}: ${e.message}`), []);
        const expected = scenario === 'externalDatabase' ? ['Deployment/playerfinder'] : ['Deployment/playerfinder', 'StatefulSet/playerfinder-mongodb'];
        t.deepEqual(Object.keys(state.workloads).sort(), expected);
        for (const [workload, { replicas, pods }] of Object.entries(state.workloads)) {
          t.true(replicas > 0, workload);
          t.is(pods, replicas, `${workload}: Pods created`);
        }
        if (scenario === 'replicaSet' || scenario === 'aks') t.is(state.workloads['StatefulSet/playerfinder-mongodb']?.pods, 3);
      });
    }
  }
}
