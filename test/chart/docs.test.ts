// values.yaml documents every key with `## @param`, and the chart README's parameter table lists them all.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import { chartDir, repoRoot } from './render.ts';

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
