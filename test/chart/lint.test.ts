// helm lint --strict (warnings fail) with the default values and with every shipped values file.
import test from 'ava';
import { chartDir, helms, kubeVersion, run } from './render.ts';

const valuesFiles = [undefined, 'chart/values-kind.yaml', 'chart/values-aks.yaml'];

for (const helm of helms()) {
  for (const file of valuesFiles) {
    test(`${helm.label}: helm lint --strict with ${file ?? 'default values'}`, async (t) => {
      const args = ['lint', '--strict', chartDir, '--kube-version', kubeVersion, ...(file === undefined ? [] : ['--values', file])];
      const result = await run(helm.path, args);
      t.is(result.code, 0, result.stdout + result.stderr);
      t.regex(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }
}
