// Invariants every supported value combination must keep: valid Kubernetes objects, labels and selectors
// that line up, pinned images, the restricted Pod Security Standard, and no secrets in ConfigMaps.
import test from 'ava';
import { allOf, helms, render, renderScenario, scenarioNames, scenarios } from './render.ts';
import type { Manifest } from './render.ts';
import { containersOf, decodeBase64, imageProblem, podTemplates, restrictedViolations, selects, unmodelledKinds, validateManifest } from './kube.ts';

const standardLabels = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'app.kubernetes.io/component',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/managed-by',
  'helm.sh/chart',
];

function matchLabelsOf(m: Manifest): Record<string, string> | undefined {
  const spec = m.spec as { selector?: { matchLabels?: Record<string, string> } | Record<string, string>; podSelector?: { matchLabels?: Record<string, string> } };
  if (m.kind === 'Service') return spec.selector as Record<string, string> | undefined;
  if (m.kind === 'NetworkPolicy') return spec.podSelector?.matchLabels;
  return (spec.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
}

for (const helm of helms()) {
  for (const scenario of scenarioNames) {
    const title = (what: string) => `${helm.label} ${scenario}: ${what}`;

    test(title('every object validates against its Kubernetes API schema'), async (t) => {
      const manifests = await renderScenario(helm, scenario);
      t.true(manifests.length > 0);
      for (const m of manifests) {
        const validated = await validateManifest(m);
        if (!validated) t.true(unmodelledKinds.has(`${m.apiVersion}/${m.kind}`), `${m.kind} skipped without being a listed CRD`);
      }
    });

    test(title('every object carries the standard labels'), async (t) => {
      for (const m of await renderScenario(helm, scenario)) {
        const missing = standardLabels.filter((label) => m.metadata.labels?.[label] === undefined);
        t.deepEqual(missing, [], `${m.kind}/${m.metadata.name}`);
      }
    });

    test(title('pod templates carry no version label: a new chart or appVersion alone restarts no pod'), async (t) => {
      // The helm test Pod is made afresh by each `helm test`: it is an object like any other, with every label.
      for (const { owner, labels } of podTemplates(await renderScenario(helm, scenario)).filter((template) => !template.owner.startsWith('Pod/'))) {
        t.deepEqual(Object.keys(labels).filter((label) => label === 'helm.sh/chart' || label === 'app.kubernetes.io/version'), [], owner);
      }
    });

    test(title('workload selectors match their pod template labels, and every selector selects a rendered pod'), async (t) => {
      const manifests = await renderScenario(helm, scenario);
      const templates = podTemplates(manifests).filter((p) => p.owner.startsWith('Deployment/') || p.owner.startsWith('StatefulSet/'));
      t.true(templates.length > 0);
      for (const workload of manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet')) {
        const template = templates.find((p) => p.owner === `${workload.kind}/${workload.metadata.name}`);
        t.true(selects(matchLabelsOf(workload), template?.labels ?? {}), `${workload.kind}/${workload.metadata.name}`);
      }
      for (const selecting of manifests.filter((m) => ['Service', 'PodDisruptionBudget', 'NetworkPolicy'].includes(m.kind))) {
        const selector = matchLabelsOf(selecting);
        const selected = templates.filter((p) => selects(selector, p.labels));
        t.is(selected.length, 1, `${selecting.kind}/${selecting.metadata.name} must select exactly one workload's pods`);
      }
      for (const hpa of allOf(manifests, 'HorizontalPodAutoscaler')) {
        const target = hpa.spec.scaleTargetRef;
        t.true(manifests.some((m) => m.kind === target.kind && m.metadata.name === target.name && m.apiVersion === target.apiVersion), `HPA ${hpa.metadata?.name ?? ''} target`);
      }
    });

    test(title('every image names an explicit tag, never latest'), async (t) => {
      for (const pod of podTemplates(await renderScenario(helm, scenario))) {
        for (const c of containersOf(pod.spec)) t.is(imageProblem(c.image), undefined, `${pod.owner} ${c.name}`);
      }
    });

    test(title('every pod, container and init container meets Pod Security "restricted"'), async (t) => {
      const pods = podTemplates(await renderScenario(helm, scenario));
      t.true(pods.some((p) => p.owner.startsWith('Pod/')), 'the helm test pod is checked too');
      for (const pod of pods) {
        t.deepEqual(restrictedViolations(pod.spec), [], pod.owner);
        t.is(pod.spec.automountServiceAccountToken, false, `${pod.owner} mounts no API token`);
      }
    });

    test(title('no ConfigMap holds a credential'), async (t) => {
      const manifests = await renderScenario(helm, scenario);
      const secretValues = allOf(manifests, 'Secret').flatMap((s) => Object.values(s.data ?? {}).map(decodeBase64));
      for (const configMap of allOf(manifests, 'ConfigMap')) {
        for (const [key, value] of Object.entries(configMap.data ?? {})) {
          const where = `ConfigMap ${configMap.metadata?.name ?? ''} key ${key}`;
          // AUTH_TOKEN_TTL_SECONDS is a lifetime, not a token.
          t.notRegex(key, /pass(word)?|pwd|secret|token(?!_TTL_)|credential|(^|[-_.])key$/i, where);
          t.notRegex(value, /mongodb(\+srv)?:\/\/[^/\s]*:[^/\s]*@/, `${where} embeds a URI with a password`);
          for (const secret of secretValues) t.false(value.includes(secret), `${where} contains a Secret value`);
        }
      }
    });
  }
}

for (const helm of helms()) {
  test(`${helm.label}: with the longest release name Helm allows, every Pod and Service name is still a DNS label (63 characters)`, async (t) => {
    const manifests = await render(helm, { ...scenarios.externalDatabase, release: 'r'.repeat(53) });
    for (const m of manifests.filter((object) => object.kind === 'Pod' || object.kind === 'Service')) {
      t.true(m.metadata.name.length <= 63, `${m.kind}/${m.metadata.name}: ${String(m.metadata.name.length)} characters`);
    }
  });
}
