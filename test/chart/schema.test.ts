// values.schema.json and the chart's own checks reject bad values with a message naming them.
import test from 'ava';
import { helms, run, templateArgs } from './render.ts';
import type { RenderOptions } from './render.ts';

const invalid: readonly { readonly what: string; readonly options: RenderOptions; readonly message: RegExp }[] = [
  { what: 'wrong type', options: { setString: ['replicaCount=abc'] }, message: /\/replicaCount.*got string, want integer/ },
  { what: 'unknown top-level key', options: { set: ['foo=bar'] }, message: /additional propert(y|ies) 'foo' not allowed/ },
  { what: 'misspelt nested key', options: { set: ['mongodb.persistance.size=1Gi'] }, message: /\/mongodb.*'persistance' not allowed/ },
  { what: 'bad enum', options: { set: ['app.logLevel=loud'] }, message: /\/app\/logLevel.*must be one of/ },
  // Refused by the chart's own check, in words: the schema's anyOf would list every branch that failed.
  { what: 'latest tag', options: { set: ['image.tag=latest'] }, message: /image tags must be explicit versions, not latest/ },
  { what: 'latest tag with an empty digest (skaffold render with nothing built)', options: { set: ['image.tag=latest@'] }, message: /image tags must be explicit versions, not latest/ },
  { what: 'latest mongo tag', options: { set: ['mongodb.image.tag=latest'] }, message: /image tags must be explicit versions, not latest/ },
  { what: 'mongosh probe timeout below 5 s', options: { set: ['mongodb.readinessProbe.timeoutSeconds=1'] }, message: /\/mongodb\/readinessProbe\/timeoutSeconds.*minimum/ },
  { what: 'port out of range', options: { set: ['app.port=80'] }, message: /\/app\/port.*minimum/ },
  { what: 'even replica set', options: { set: ['mongodb.replicaCount=2'] }, message: /mongodb\.replicaCount=2: use 1 \(standalone\) or an odd number/ },
  {
    what: 'a release name too long for the MongoDB pods\' revision label',
    options: { release: 'games-leaderboard-staging-westeurope-2' },
    message: /StatefulSet would be named games-leaderboard-staging-westeurope-2-playerfinder-mongodb \(59 characters\)/,
  },
  { what: 'an autoscaler maximum below its minimum', options: { set: ['replicaCount=3', 'autoscaling.maxReplicas=2'] }, message: /autoscaling\.maxReplicas=2 is below the minimum of 3/ },
  { what: 'a pod label the selector uses', options: { set: ['podLabels.app\\.kubernetes\\.io/name=other'] }, message: /podLabels\.app\.kubernetes\.io\/name: the chart sets this label on its pods itself/ },
  { what: 'a fullnameOverride that is no DNS label', options: { set: ['fullnameOverride=My_App'] }, message: /\/fullnameOverride.*does not match pattern/ },
  { what: 'a nameOverride that is no DNS label', options: { set: ['nameOverride=x.y'] }, message: /\/nameOverride.*does not match pattern/ },
  {
    what: 'an ImplementationSpecific ingress path that is a pattern (ingress-nginx use-regex could route /metrics)',
    options: { set: ['ingress.enabled=true', 'ingress.allowPlainHttp=true', 'ingress.hosts[0].host=games.example', 'ingress.hosts[0].paths[0].path=/(v1|status|metrics)', 'ingress.hosts[0].paths[0].pathType=ImplementationSpecific'] },
    message: /ingress path \/\(v1\|status\|metrics\) \(ImplementationSpecific\) on games\.example looks like a pattern/,
  },
  {
    what: 'an ImplementationSpecific ingress path with a dot, which a regular expression reads as any character',
    options: { set: ['ingress.enabled=true', 'ingress.allowPlainHttp=true', 'ingress.hosts[0].host=games.example', 'ingress.hosts[0].paths[0].path=/.', 'ingress.hosts[0].paths[0].pathType=ImplementationSpecific'] },
    message: /ingress path \/\. \(ImplementationSpecific\) on games\.example looks like a pattern/,
  },
  { what: 'external database without its Secret', options: { set: ['mongodb.enabled=false'] }, message: /mongodb\.enabled=false needs externalDatabase\.existingSecret/ },
];

for (const helm of helms()) {
  for (const { what, options, message } of invalid) {
    test(`${helm.label}: rejects ${what}`, async (t) => {
      const result = await run(helm.path, templateArgs(options));
      t.not(result.code, 0);
      t.regex(result.stderr, message);
    });
  }
}
