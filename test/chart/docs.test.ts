// values.yaml documents every key with `## @param`, the chart README's parameter table lists them all, and the
// install commands the docs give work when pasted into a shell.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import { chartDir, helms, kubeVersion, repoRoot, run } from './render.ts';

const valuesText = readFileSync(path.join(chartDir, 'values.yaml'), 'utf8');
const params = [...valuesText.matchAll(/^\s*## @param (\S+) \S/gm)].map((m) => m[1] ?? '');
const readme = readFileSync(path.join(chartDir, 'README.md'), 'utf8');

/** Every key path of the values (lists and scalars are leaves). */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => [prefix + key, ...keyPaths(child, `${prefix}${key}.`)]);
}

test('every values key is covered by an @param (itself or an enclosing key), and every @param exists', (t) => {
  const paths = keyPaths(parse(valuesText) as unknown);
  const covered = (p: string) => params.some((param) => p === param || p.startsWith(`${param}.`) || param.startsWith(`${p}.`));
  t.deepEqual(paths.filter((p) => !covered(p)), []);
  t.deepEqual(params.filter((param) => !paths.includes(param)), []);
});

test('the README parameter table lists every @param', (t) => {
  t.true(params.length > 50);
  t.deepEqual(params.filter((param) => !readme.includes(`| \`${param}\` |`)), []);
});

test('the documented `az acr import` of the mongo image names the tag the chart pins', (t) => {
  const tag = (parse(valuesText) as { mongodb: { image: { tag: string } } }).mongodb.image.tag;
  for (const file of ['README.md', 'k8s/aks/README.md']) {
    const imports = [...readFileSync(path.join(repoRoot, file), 'utf8').matchAll(/az acr import [^\n]*--source docker\.io\/library\/mongo:(\S+) --image mongo:(\S+)/g)];
    t.true(imports.length > 0, file);
    for (const [, source, image] of imports) t.deepEqual([source, image], [tag, tag], file);
  }
});

/** The `helm install` commands of a doc's bash blocks, continuation lines joined, as a shell would get them. */
function documentedInstalls(file: string): string[] {
  const blocks = [...readFileSync(path.join(repoRoot, file), 'utf8').matchAll(/```bash\n([\s\S]*?)```/g)].map(([, body = '']) => body.replaceAll('\\\n', ' '));
  return blocks.flatMap((block) => block.split('\n')).filter((line) => /^helm install /.test(line));
}

// Pasted into a shell, as the reader will: its quoting decides what helm gets (an unquoted `\.` is lost).
for (const helm of helms()) {
  test(`${helm.label}: the AKS README's helm install renders, run by a shell as written`, async (t) => {
    const installs = documentedInstalls('k8s/aks/README.md');
    t.true(installs.length > 0);
    for (const install of installs) {
      const command = install.replace(/^helm install /, 'exec "$HELM" template ').replace(/ --wait\b/, '').replace(/ --timeout \S+/, '');
      const result = await run('bash', ['-c', `${command} --kube-version ${kubeVersion}`], { ...process.env, HELM: helm.path });
      t.is(result.code, 0, `${install}\n${result.stderr}`);
      t.regex(result.stdout, /kubernetes\.azure\.com\/tls-cert-keyvault-uri: https:\/\//, install);
    }
  });
}
