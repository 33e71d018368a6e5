{{/* Chart name, or nameOverride; 63 characters at most (DNS label). */}}
{{- define "playerfinder.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* Base name of every object: fullnameOverride, the release name when it already contains the chart name, else release-chart. */}}
{{- define "playerfinder.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end }}

{{/* Value of the helm.sh/chart label: name-version. */}}
{{- define "playerfinder.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* Selector labels shared by all components; immutable in selectors, so nothing version-like goes here. */}}
{{- define "playerfinder.selectorLabels" -}}
app.kubernetes.io/name: {{ include "playerfinder.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of every object; call with (dict "ctx" $ "component" "api"). */}}
{{- define "playerfinder.labels" -}}
{{ include "playerfinder.componentSelectorLabels" . }}
helm.sh/chart: {{ include "playerfinder.chart" .ctx }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: playerfinder
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{/*
Labels of a component's pod template: every label but the chart's and the app's versions, so that a new
chart or appVersion alone restarts no pod (for MongoDB, a failover per member); call like playerfinder.labels.
*/}}
{{- define "playerfinder.podLabels" -}}
{{ include "playerfinder.componentSelectorLabels" . }}
app.kubernetes.io/part-of: playerfinder
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{/* Selector labels of one component; call with (dict "ctx" $ "component" "api"). */}}
{{- define "playerfinder.componentSelectorLabels" -}}
{{ include "playerfinder.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* API Service/Deployment name. */}}
{{- define "playerfinder.api.fullname" -}}
{{- include "playerfinder.fullname" . -}}
{{- end }}

{{/* ServiceAccount of the API pods. */}}
{{- define "playerfinder.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "playerfinder.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end }}

{{/*
API image reference: repository:tag (tag defaults to appVersion), plus @digest when set. The tag may also
arrive as tag@digest or tag@ (skaffold's documented "{{.IMAGE_TAG_x}}@{{.IMAGE_DIGEST_x}}", whose digest is
empty for images loaded into kind): split it so the reference never has two digests or a dangling @.
*/}}
{{- define "playerfinder.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- $digest := .Values.image.digest -}}
{{- if contains "@" $tag -}}
{{- $parts := splitn "@" 2 $tag -}}
{{- $tag = $parts._0 -}}
{{- $digest = default $parts._1 $digest -}}
{{- end -}}
{{- $ref := printf "%s:%s" .Values.image.repository $tag -}}
{{- if $digest -}}
{{- printf "%s@%s" $ref $digest -}}
{{- else -}}
{{- $ref -}}
{{- end -}}
{{- end }}

{{/* Grace period: shutdown delay + in-flight timeout (rounded up to seconds) + margin, so the budget is written once. */}}
{{- define "playerfinder.terminationGracePeriodSeconds" -}}
{{- $ms := add (int .Values.shutdown.delayMs) (int .Values.shutdown.timeoutMs) -}}
{{- add (div (add $ms 999) 1000) (int .Values.shutdown.marginSeconds) -}}
{{- end }}

{{/* "true" when the HPA is rendered: explicit value, or auto (null) when replicaCount > 1. */}}
{{- define "playerfinder.autoscaling.enabled" -}}
{{- if kindIs "invalid" .Values.autoscaling.enabled -}}
{{- if gt (int .Values.replicaCount) 1 }}true{{ end -}}
{{- else if .Values.autoscaling.enabled -}}
true
{{- end -}}
{{- end }}

{{/* "true" when a PDB is rendered for a workload of $replicas pods; call with (dict "ctx" $ "replicas" n). */}}
{{- define "playerfinder.pdb.enabled" -}}
{{- $enabled := .ctx.Values.podDisruptionBudget.enabled -}}
{{- if kindIs "invalid" $enabled -}}
{{- if gt (int .replicas) 1 }}true{{ end -}}
{{- else if $enabled -}}
true
{{- end -}}
{{- end }}

{{/* topologySpreadConstraints over hostname and zone for one component; call with (dict "ctx" $ "component" "api"). */}}
{{- define "playerfinder.topologySpreadConstraints" -}}
{{- $spread := .ctx.Values.topologySpread -}}
{{- $selector := include "playerfinder.componentSelectorLabels" (dict "ctx" .ctx "component" .component) | fromYaml -}}
{{- $constraints := list -}}
{{- range list "kubernetes.io/hostname" "topology.kubernetes.io/zone" -}}
{{- $constraints = append $constraints (dict "topologyKey" . "maxSkew" $spread.maxSkew "whenUnsatisfiable" $spread.whenUnsatisfiable "labelSelector" (dict "matchLabels" $selector)) -}}
{{- end -}}
{{- toYaml $constraints -}}
{{- end }}

{{/* MongoDB StatefulSet and client Service name. */}}
{{- define "playerfinder.mongodb.fullname" -}}
{{- printf "%s-mongodb" (include "playerfinder.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* Headless Service that gives each MongoDB pod a stable DNS name. */}}
{{- define "playerfinder.mongodb.headlessServiceName" -}}
{{- printf "%s-mongodb-headless" (include "playerfinder.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* MongoDB image reference. */}}
{{- define "playerfinder.mongodb.image" -}}
{{- printf "%s:%s" .Values.mongodb.image.repository .Values.mongodb.image.tag -}}
{{- end }}

{{/* "true" when MongoDB runs as a replica set (more than one member). */}}
{{- define "playerfinder.mongodb.isReplicaSet" -}}
{{- if gt (int .Values.mongodb.replicaCount) 1 }}true{{ end -}}
{{- end }}

{{/* Stable DNS name of every member, host:27017, comma-separated (never localhost: clients and members must resolve them). */}}
{{- define "playerfinder.mongodb.memberHosts" -}}
{{- $sts := include "playerfinder.mongodb.fullname" . -}}
{{- $svc := include "playerfinder.mongodb.headlessServiceName" . -}}
{{- $hosts := list -}}
{{- range $i := until (int .Values.mongodb.replicaCount) -}}
{{- $hosts = append $hosts (printf "%s-%d.%s.%s.svc.%s:27017" $sts $i $svc $.Release.Namespace $.Values.clusterDomain) -}}
{{- end -}}
{{- join "," $hosts -}}
{{- end }}

{{/* Where the MongoDB pods mount the root and app passwords (the Secret as files). */}}
{{- define "playerfinder.mongodb.credentialsDir" -}}
/var/run/secrets/mongodb
{{- end }}

{{/* Environment of files/mongodb/create-app-user.js, for mongod (initdb) and the bootstrap sidecar alike. */}}
{{- define "playerfinder.mongodb.appUserEnv" -}}
- name: PLAYERFINDER_DATABASE
  value: {{ .Values.database.name | quote }}
- name: PLAYERFINDER_USERNAME
  value: {{ .Values.auth.username | quote }}
- name: PLAYERFINDER_PASSWORD_FILE
  value: {{ include "playerfinder.mongodb.credentialsDir" . }}/mongodb-password
{{- end }}

{{/*
mongod readiness, run by `mongosh --quiet --eval`: hello answers isWritablePrimary or secondary only on a
member that can serve (a standalone reports isWritablePrimary true); an uninitialised, STARTUP2 or
RECOVERING member reports neither.
*/}}
{{- define "playerfinder.mongodb.readinessCheck" -}}
const hello = db.adminCommand({ hello: 1 }); if (!hello.isWritablePrimary && !hello.secondary) { print(`not ready: ${hello.info ?? 'neither primary nor secondary'}`); quit(1); }
{{- end }}

{{/* MONGODB_HOST for the API: every member for a replica set, else the client Service. */}}
{{- define "playerfinder.mongodb.apiHosts" -}}
{{- if include "playerfinder.mongodb.isReplicaSet" . -}}
{{- include "playerfinder.mongodb.memberHosts" . -}}
{{- else -}}
{{- printf "%s.%s.svc.%s:27017" (include "playerfinder.mongodb.fullname" .) .Release.Namespace .Values.clusterDomain -}}
{{- end -}}
{{- end }}

{{/* Secret holding the MongoDB credentials: auth.existingSecret, or the one this chart generates. */}}
{{- define "playerfinder.mongodb.secretName" -}}
{{- default (include "playerfinder.mongodb.fullname" .) .Values.auth.existingSecret -}}
{{- end }}

{{/* "true" when this chart renders the credentials Secret. */}}
{{- define "playerfinder.mongodb.createSecret" -}}
{{- if and .Values.mongodb.enabled (not .Values.auth.existingSecret) }}true{{ end -}}
{{- end }}

{{/*
Base64 data of the generated Secret. Values of the live Secret (lookup) win so `helm upgrade` keeps the
passwords; missing keys are generated. lookup is empty under `helm template`/--dry-run (helm/helm#8798).
The result is memoized in .Values so the Secret and the checksum annotations see the same random values.
*/}}
{{- define "playerfinder.mongodb.secretData" -}}
{{- include "playerfinder.keptSecretData" (dict "ctx" . "name" (include "playerfinder.mongodb.secretName" .) "memo" "__playerfinderSecretData" "keys" (dict "mongodb-root-password" 32 "mongodb-password" 32 "mongodb-replica-set-key" 64)) -}}
{{- end }}

{{/*
Base64 data of a generated Secret `name`: each of `keys` (key: length) from the live Secret if it has it,
else random. Memoized under `memo` so every template sees the same values within one render.
*/}}
{{- define "playerfinder.keptSecretData" -}}
{{- $values := .ctx.Values -}}
{{- if not (hasKey $values .memo) -}}
{{- $live := lookup "v1" "Secret" .ctx.Release.Namespace .name -}}
{{- $liveData := dig "data" (dict) $live -}}
{{- $data := dict -}}
{{- range $key, $length := .keys -}}
{{- $_ := set $data $key (get $liveData $key | default (randAlphaNum $length | b64enc)) -}}
{{- end -}}
{{- $_ := set $values .memo $data -}}
{{- end -}}
{{- toYaml (get $values .memo) -}}
{{- end }}

{{/* Secret holding the API's token signing key (and operator token): apiAuth.existingSecret, or generated. */}}
{{- define "playerfinder.api.authSecretName" -}}
{{- default (printf "%s-auth" (include "playerfinder.api.fullname" .)) .Values.apiAuth.existingSecret -}}
{{- end }}

{{/* Generated like the MongoDB passwords: kept across upgrades through lookup. */}}
{{- define "playerfinder.api.authSecretData" -}}
{{- $keys := dict "auth-secret" 64 -}}
{{- if .Values.apiAuth.operatorToken }}{{ $_ := set $keys "operator-token" 48 }}{{ end -}}
{{- include "playerfinder.keptSecretData" (dict "ctx" . "name" (include "playerfinder.api.authSecretName" .) "memo" "__playerfinderAuthSecretData" "keys" $keys) -}}
{{- end }}

{{/* Rolls the API pods when the keys change. */}}
{{- define "playerfinder.api.authSecretChecksum" -}}
{{- if .Values.apiAuth.existingSecret -}}
{{- include "playerfinder.existingSecretChecksum" (dict "ctx" . "name" .Values.apiAuth.existingSecret) -}}
{{- else -}}
{{- include "playerfinder.api.authSecretData" . | sha256sum -}}
{{- end -}}
{{- end }}

{{/* Checksum that changes when the credentials change. */}}
{{- define "playerfinder.mongodb.secretChecksum" -}}
{{- if include "playerfinder.mongodb.createSecret" . -}}
{{- include "playerfinder.mongodb.secretData" . | sha256sum -}}
{{- else -}}
{{- include "playerfinder.existingSecretChecksum" (dict "ctx" . "name" (include "playerfinder.mongodb.secretName" .)) -}}
{{- end -}}
{{- end }}

{{/*
Checksum of a Secret the chart does not write (an existingSecret): its name and live data, so a changed
key rolls the pods on the next `helm upgrade`. lookup is empty under `helm template`/--dry-run: the name only.
*/}}
{{- define "playerfinder.existingSecretChecksum" -}}
{{- $live := lookup "v1" "Secret" .ctx.Release.Namespace .name -}}
{{- printf "%s %s" .name (dig "data" (dict) $live | toJson) | sha256sum -}}
{{- end }}

{{/*
Ingress value problems, as a YAML list: an enabled Ingress needs TLS (personal data), and routes only the
API, not the endpoints meant for the cluster (metrics, OpenAPI document, probes).
*/}}
{{- define "playerfinder.ingress.problems" -}}
{{- $ingress := .Values.ingress -}}
{{- $problems := list -}}
{{- if $ingress.enabled -}}
{{- if and (not $ingress.tls) (not $ingress.allowPlainHttp) -}}
{{- $problems = append $problems "ingress.enabled without ingress.tls would carry players' personal data in clear text: add ingress.tls and a certificate source (chart README \"Ingress\"), or set ingress.allowPlainHttp=true on a local cluster" -}}
{{- end -}}
{{- if not $ingress.exposeInternalPaths -}}
{{- range $host := $ingress.hosts -}}
{{- range $host.paths -}}
{{- $path := .path -}}
{{- $pathType := .pathType -}}
{{- $prefix := printf "%s/" (trimSuffix "/" $path) -}}
{{- $exposed := list -}}
{{- range $internal := list "/metrics" "/openapi.json" "/healthz" "/readyz" -}}
{{- if or (eq $path $internal) (and (ne $pathType "Exact") (hasPrefix $prefix $internal)) -}}
{{- $exposed = append $exposed $internal -}}
{{- end -}}
{{- end -}}
{{- if $exposed -}}
{{- $problems = append $problems (printf "ingress path %s (%s) on %s would publish %s: route only the API paths (/v1 Prefix, /status Exact), or set ingress.exposeInternalPaths=true" $path $pathType $host.host (join ", " $exposed)) -}}
{{- else if and (eq $pathType "ImplementationSpecific") (regexMatch "[][().|*?+^$\\\\{}]" $path) -}}
{{- /* A controller may read it as a regular expression (ingress-nginx's use-regex), which could match anything. */ -}}
{{- $problems = append $problems (printf "ingress path %s (ImplementationSpecific) on %s looks like a pattern, which the chart cannot check against /metrics, /openapi.json, /healthz and /readyz: use Prefix or Exact paths, or set ingress.exposeInternalPaths=true" $path $host.host) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $problems -}}
{{- end }}

{{/* All value checks that the schema cannot express, reported together in one failure. */}}
{{- define "playerfinder.validateValues" -}}
{{- $messages := list -}}
{{- if and (not .Values.mongodb.enabled) (not .Values.externalDatabase.existingSecret) -}}
{{- $messages = append $messages "mongodb.enabled=false needs externalDatabase.existingSecret (a Secret whose key externalDatabase.uriKey holds MONGODB_URI)" -}}
{{- end -}}
{{- $members := int .Values.mongodb.replicaCount -}}
{{- if and (gt $members 1) (eq (mod $members 2) 0) -}}
{{- $messages = append $messages (printf "mongodb.replicaCount=%d: use 1 (standalone) or an odd number >= 3, an even-sized replica set cannot survive losing half its members" $members) -}}
{{- end -}}
{{- if eq (int .Values.app.healthPort) (int .Values.app.port) -}}
{{- $messages = append $messages (printf "app.healthPort=%d: must differ from app.port, the probes' listener is a second one" (int .Values.app.healthPort)) -}}
{{- end -}}
{{- $drainMs := mul .Values.probes.readiness.periodSeconds .Values.probes.readiness.failureThreshold 1000 -}}
{{- if lt (int .Values.shutdown.delayMs) (int $drainMs) -}}
{{- $messages = append $messages (printf "shutdown.delayMs=%d is shorter than readiness periodSeconds x failureThreshold (%d ms): pods would stop serving before endpoints drop them" (int .Values.shutdown.delayMs) (int $drainMs)) -}}
{{- end -}}
{{- /* Each MongoDB pod gets the label controller-revision-hash=<StatefulSet>-<10 characters>, at most 63 long. */ -}}
{{- $statefulSet := include "playerfinder.mongodb.fullname" . -}}
{{- if and .Values.mongodb.enabled (gt (len $statefulSet) 52) -}}
{{- $messages = append $messages (printf "the MongoDB StatefulSet would be named %s (%d characters), but its pods' revision label allows 52: use a release name (or fullnameOverride) that makes the name %s at most 44 characters" $statefulSet (len $statefulSet) (include "playerfinder.fullname" .)) -}}
{{- end -}}
{{- if include "playerfinder.autoscaling.enabled" . -}}
{{- $minReplicas := int (.Values.autoscaling.minReplicas | default .Values.replicaCount) -}}
{{- if gt $minReplicas (int .Values.autoscaling.maxReplicas) -}}
{{- $messages = append $messages (printf "autoscaling.maxReplicas=%d is below the minimum of %d (autoscaling.minReplicas, else replicaCount)" (int .Values.autoscaling.maxReplicas) $minReplicas) -}}
{{- end -}}
{{- end -}}
{{- $chartPodLabels := include "playerfinder.podLabels" (dict "ctx" . "component" "api") | fromYaml -}}
{{- range $label, $_ := .Values.podLabels -}}
{{- if hasKey $chartPodLabels $label -}}
{{- $messages = append $messages (printf "podLabels.%s: the chart sets this label on its pods itself" $label) -}}
{{- end -}}
{{- end -}}
{{- $messages = concat $messages (include "playerfinder.ingress.problems" . | fromYamlArray) -}}
{{- $image := include "playerfinder.image" . -}}
{{- if or (hasSuffix ":latest" $image) (contains ":latest@" $image) (eq .Values.mongodb.image.tag "latest") -}}
{{- $messages = append $messages "image tags must be explicit versions, not latest" -}}
{{- end -}}
{{- if $messages -}}
{{- fail (printf "\nVALUES VALIDATION:\n%s" (join "\n" $messages)) -}}
{{- end -}}
{{- end }}
