{{/*
Names and labels, the usual Helm way.
*/}}
{{- define "jitsi-oidc-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "jitsi-oidc-bridge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "jitsi-oidc-bridge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "jitsi-oidc-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jitsi-oidc-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "jitsi-oidc-bridge.labels" -}}
helm.sh/chart: {{ include "jitsi-oidc-bridge.chart" . }}
{{ include "jitsi-oidc-bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ include "jitsi-oidc-bridge.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: jitsi
{{- end }}

{{- define "jitsi-oidc-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "jitsi-oidc-bridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "jitsi-oidc-bridge.secretName" -}}
{{- default (include "jitsi-oidc-bridge.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "jitsi-oidc-bridge.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "jitsi-oidc-bridge.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "jitsi-oidc-bridge.imageTag" .) }}
{{- end }}
{{- end }}

{{/* Where the ConfigMap's bridge.toml is mounted. Not under the secrets' mount point: a
volume cannot hold the mount point of another when it is read-only. */}}
{{- define "jitsi-oidc-bridge.configDir" -}}
/etc/jitsi-oidc-bridge/config
{{- end }}

{{- define "jitsi-oidc-bridge.listen" -}}
{{- $addr := .root.Values.listenAddress }}
{{- if contains ":" $addr }}
{{- printf "[%s]:%d" $addr (int .port) }}
{{- else }}
{{- printf "%s:%d" $addr (int .port) }}
{{- end }}
{{- end }}

{{/* The signing algorithm of the top-level realm, upper case. */}}
{{- define "jitsi-oidc-bridge.algorithm" -}}
{{- upper (toString (dig "jitsi" "algorithm" "HS256" (.Values.config | default dict))) }}
{{- end }}

{{/*
The pod's termination grace period: the preStop sleep, then the longest a request in flight
or a connection still sending its headers may take after SIGTERM, then 5 s for the process to
exit. An explicit value shorter than the sleep plus the request timeout is refused: the
kubelet would kill requests the bridge is still finishing.
*/}}
{{- define "jitsi-oidc-bridge.gracePeriod" -}}
{{- $server := dig "server" dict (.Values.config | default dict) }}
{{- $request := int (default 30 (get $server "request_timeout_secs")) }}
{{- $header := int (default 10 (get $server "header_timeout_secs")) }}
{{- $sleep := int .Values.preStopSleepSeconds }}
{{- $needed := add $sleep (max $request $header) }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add $needed 5 }}
{{- else if lt (int .Values.terminationGracePeriodSeconds) (int $needed) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be at least preStopSleepSeconds + server.request_timeout_secs / header_timeout_secs (%d): the bridge finishes requests in flight after SIGTERM" (int .Values.terminationGracePeriodSeconds) (int $needed)) }}
{{- else }}
{{- .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/*
Refuses configuration the chart owns or that would put a secret into the ConfigMap. Walks the
whole `config` tree, tenants included. Argument: (list <map> <dotted path>).
*/}}
{{- define "jitsi-oidc-bridge.checkConfig" -}}
{{- $map := index . 0 }}
{{- $path := index . 1 }}
{{- range $key, $value := $map }}
{{- $full := ternary $key (printf "%s.%s" $path $key) (eq $path "") }}
{{- if has $key (list "client_secret" "cookie_key" "secret") }}
{{- fail (printf "config.%s: a secret must not be in `config`, which becomes a ConfigMap; put it in the Secret (`secrets`) and, for a tenant, point %s_file at its file under secrets.mountPath" $full $full) }}
{{- end }}
{{- if has $full (list "server.listen" "metrics.listen") }}
{{- fail (printf "config.%s is set by the chart (containerPorts, listenAddress, metrics.enabled)" $full) }}
{{- end }}
{{- if has $full (list "oidc.client_secret_file" "login.cookie_key_file" "jitsi.secret_file" "jitsi.signing_keys") }}
{{- fail (printf "config.%s is set by the chart: it points at the Secret's files (secrets.keys, secrets.signingKeys)" $full) }}
{{- end }}
{{- if kindIs "map" $value }}
{{- include "jitsi-oidc-bridge.checkConfig" (list $value $full) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The configuration as the bridge reads it: `config` plus the keys the chart owns (the secret
files). Returned as JSON, because templates can only return text.
*/}}
{{- define "jitsi-oidc-bridge.configJson" -}}
{{- $c := deepCopy (.Values.config | default dict) }}
{{- include "jitsi-oidc-bridge.checkConfig" (list $c "") }}
{{- $dir := trimSuffix "/" .Values.secrets.mountPath }}
{{- $oidc := get $c "oidc" | default dict }}
{{- $_ := set $oidc "client_secret_file" (printf "%s/%s" $dir .Values.secrets.keys.oidcClientSecret) }}
{{- $_ := set $c "oidc" $oidc }}
{{- $login := get $c "login" | default dict }}
{{- $_ := set $login "cookie_key_file" (printf "%s/%s" $dir .Values.secrets.keys.cookieKey) }}
{{- $_ := set $c "login" $login }}
{{- $jitsi := get $c "jitsi" | default dict }}
{{- $alg := include "jitsi-oidc-bridge.algorithm" . }}
{{- if eq $alg "RS256" }}
{{- if not .Values.secrets.signingKeys }}
{{- fail "config.jitsi.algorithm is RS256: list the private keys in secrets.signingKeys ([{kid, key}], the first signs)" }}
{{- end }}
{{- $keys := list }}
{{- range .Values.secrets.signingKeys }}
{{- $keys = append $keys (dict "kid" (toString (required "secrets.signingKeys[].kid is required" .kid)) "private_key_file" (printf "%s/%s" $dir (required "secrets.signingKeys[].key (the key in the Secret) is required" .key))) }}
{{- end }}
{{- $_ := set $jitsi "signing_keys" $keys }}
{{- else }}
{{- if .Values.secrets.signingKeys }}
{{- fail (printf "secrets.signingKeys is only used with config.jitsi.algorithm RS256, not %s" $alg) }}
{{- end }}
{{- $_ := set $jitsi "secret_file" (printf "%s/%s" $dir .Values.secrets.keys.jitsiSecret) }}
{{- end }}
{{- $_ := set $c "jitsi" $jitsi }}
{{- toJson $c }}
{{- end }}

{{/*
A TOML writer. Helm's toToml turns every YAML number into a float ("30.0", "1e+08"), which
the bridge rightly refuses for its integer keys; this one writes whole numbers as integers.
Key order is alphabetical, as Go templates range over maps.
*/}}
{{- define "jitsi-oidc-bridge.toml.key" -}}
{{- if regexMatch "^[A-Za-z0-9_-]+$" . }}{{ . }}{{ else }}{{ toJson . }}{{ end }}
{{- end }}

{{- define "jitsi-oidc-bridge.toml.value" -}}
{{- $v := . }}
{{- if kindIs "string" $v }}
{{- /* A JSON string is a valid TOML basic string: the same escapes, \uXXXX included. */}}
{{- toJson $v }}
{{- else if kindIs "bool" $v }}
{{- ternary "true" "false" $v }}
{{- else if kindIs "float64" $v }}
{{- if eq $v (float64 (int64 $v)) }}{{ int64 $v }}{{ else }}{{ $v }}{{ end }}
{{- else if or (kindIs "int" $v) (kindIs "int64" $v) (kindIs "int32" $v) (kindIs "uint64" $v) }}
{{- $v }}
{{- else if kindIs "slice" $v }}
{{- $items := list }}
{{- range $v }}
{{- $items = append $items (include "jitsi-oidc-bridge.toml.value" .) }}
{{- end }}
{{- printf "[%s]" (join ", " $items) }}
{{- else if kindIs "map" $v }}
{{- $items := list }}
{{- range $k, $item := $v }}
{{- if not (kindIs "invalid" $item) }}
{{- $items = append $items (printf "%s = %s" (include "jitsi-oidc-bridge.toml.key" $k) (include "jitsi-oidc-bridge.toml.value" $item)) }}
{{- end }}
{{- end }}
{{- if $items }}{{ printf "{ %s }" (join ", " $items) }}{{ else }}{}{{ end }}
{{- else }}
{{- fail (printf "config: %v (%s) cannot be written as TOML" $v (kindOf $v)) }}
{{- end }}
{{- end }}

{{/* A list of tables, written [[path]] when every item is a table. */}}
{{- define "jitsi-oidc-bridge.toml.isTableArray" -}}
{{- $v := . }}
{{- if and (kindIs "slice" $v) (gt (len $v) 0) }}
{{- $all := true }}
{{- range $v }}{{ if not (kindIs "map" .) }}{{ $all = false }}{{ end }}{{ end }}
{{- if $all }}yes{{ end }}
{{- end }}
{{- end }}

{{/*
One table: its plain keys, then its lists of tables ([[path.key]]), then its sub-tables
([path.key]), as TOML wants the plain keys before any header. A header is written only for
a table that has plain keys of its own. Argument: (dict "table" <map> "path" <dotted path>).
*/}}
{{- define "jitsi-oidc-bridge.toml.table" -}}
{{- $table := .table }}
{{- $path := .path }}
{{- $plain := list }}
{{- range $k, $v := $table }}
{{- if and (not (kindIs "invalid" $v)) (not (kindIs "map" $v)) (not (include "jitsi-oidc-bridge.toml.isTableArray" $v)) }}
{{- $plain = append $plain (printf "%s = %s" (include "jitsi-oidc-bridge.toml.key" $k) (include "jitsi-oidc-bridge.toml.value" $v)) }}
{{- end }}
{{- end }}
{{- if and $plain $path }}
{{ printf "\n[%s]" $path }}
{{- end }}
{{- range $plain }}
{{ . }}
{{- end }}
{{- range $k, $v := $table }}
{{- if include "jitsi-oidc-bridge.toml.isTableArray" $v }}
{{- $sub := ternary (include "jitsi-oidc-bridge.toml.key" $k) (printf "%s.%s" $path (include "jitsi-oidc-bridge.toml.key" $k)) (eq $path "") }}
{{- range $v }}
{{ printf "\n[[%s]]" $sub }}
{{- range $ik, $iv := . }}
{{- if not (kindIs "invalid" $iv) }}
{{ printf "%s = %s" (include "jitsi-oidc-bridge.toml.key" $ik) (include "jitsi-oidc-bridge.toml.value" $iv) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- range $k, $v := $table }}
{{- if kindIs "map" $v }}
{{- $sub := ternary (include "jitsi-oidc-bridge.toml.key" $k) (printf "%s.%s" $path (include "jitsi-oidc-bridge.toml.key" $k)) (eq $path "") }}
{{- include "jitsi-oidc-bridge.toml.table" (dict "table" $v "path" $sub) }}
{{- end }}
{{- end }}
{{- end }}

{{/* bridge.toml, as the ConfigMap holds it. */}}
{{- define "jitsi-oidc-bridge.toml" -}}
# Rendered by the jitsi-oidc-bridge Helm chart from `config` in its values; the secrets are
# files from the Secret {{ include "jitsi-oidc-bridge.secretName" . }}. Every key: config.example.toml.
{{- include "jitsi-oidc-bridge.toml.table" (dict "table" (include "jitsi-oidc-bridge.configJson" . | fromJson) "path" "") }}
{{- end }}

{{/*
Refuses a plain value for a variable that would carry a secret, and the variables the chart
sets itself.
*/}}
{{- define "jitsi-oidc-bridge.checkExtraEnv" -}}
{{- range .Values.extraEnv }}
{{- if has .name (list "BRIDGE_CONFIG" "BRIDGE_SERVER__LISTEN" "BRIDGE_METRICS__LISTEN") }}
{{- fail (printf "extraEnv: %s is set by the chart" .name) }}
{{- end }}
{{- if and (hasPrefix "BRIDGE_" .name) (regexMatch "(__CLIENT_SECRET|__COOKIE_KEY|__SECRET)$" .name) (hasKey . "value") }}
{{- fail (printf "extraEnv: %s carries a secret; take it from a Secret (valueFrom.secretKeyRef), not a plain value" .name) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The Keycloak ports the pods must reach: the port of every issuer in the configuration
(443 or 80 when the URL has none).
*/}}
{{- define "jitsi-oidc-bridge.keycloakPorts" -}}
{{- $issuers := list (dig "oidc" "issuer" "" (.Values.config | default dict)) }}
{{- range $name, $tenant := (dig "tenants" dict (.Values.config | default dict)) }}
{{- $issuers = append $issuers (dig "oidc" "issuer" "" $tenant) }}
{{- end }}
{{- $ports := list }}
{{- range $issuers }}
{{- if . }}
{{- $url := urlParse . }}
{{- $port := ternary "443" "80" (eq $url.scheme "https") }}
{{- if regexMatch ":[0-9]+$" $url.host }}
{{- $port = regexFind "[0-9]+$" $url.host }}
{{- end }}
{{- $ports = append $ports (int $port) }}
{{- end }}
{{- end }}
{{- toJson (uniq $ports) }}
{{- end }}
