{{/* Labels every object carries; `component` names the part (user-service, kong, postgres, ...). */}}
{{- define "foodflow.labels" -}}
app.kubernetes.io/name: foodflow
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/component: {{ .component }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end }}

{{- define "foodflow.selector" -}}
app.kubernetes.io/name: foodflow
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* One of Food Flow's own images (deploy/Dockerfile), e.g. `foodflow/order-service:0.1.0`. */}}
{{- define "foodflow.image" -}}
{{ printf "%s/%s:%s" .root.Values.image.registry .name (default .root.Chart.AppVersion .root.Values.image.tag) }}
{{- end }}

{{- define "foodflow.pullSecrets" -}}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end }}

{{- define "foodflow.podDefaults" -}}
{{ include "foodflow.pullSecrets" . }}
securityContext:
  runAsNonRoot: true
  seccompProfile: { type: RuntimeDefault }
{{- end }}

{{- define "foodflow.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  capabilities: { drop: [ALL] }
{{- end }}

{{/* The secret holding database, superuser and broker passwords. */}}
{{- define "foodflow.credentialsSecret" -}}
{{ default "foodflow-credentials" .Values.credentials.existingSecret }}
{{- end }}

{{/* An environment variable read from the credentials secret. */}}
{{- define "foodflow.credential" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "foodflow.credentialsSecret" .root }}
      key: {{ .key }}
{{- end }}

{{/*
The superuser connection the operator jobs (bootstrap, seed, backup) use, with the password from the
secret through Kubernetes' $(VAR) expansion, plus every role's password.
*/}}
{{- define "foodflow.adminEnv" -}}
{{ include "foodflow.credential" (dict "root" . "name" "POSTGRES_PASSWORD" "key" "POSTGRES_PASSWORD") }}
- name: ADMIN_DATABASE_URL
  value: {{ printf "postgres://postgres:$(POSTGRES_PASSWORD)@postgres:%v/postgres" .Values.postgresql.port | quote }}
- name: DATABASE_NAME
  value: {{ .Values.database.name | quote }}
{{- range $role, $_ := .Values.credentials.databaseRoles }}
{{ include "foodflow.credential" (dict "root" $ "name" (printf "DB_PASSWORD_%s" (upper $role)) "key" (printf "DB_PASSWORD_%s" (upper $role))) }}
{{- end }}
{{- end }}

{{/*
Egress to one dependency (postgresql, redis, rabbitmq): its pod when it runs in the chart, else the
managed service's network, on its port only.
*/}}
{{- define "foodflow.egressTo" -}}
{{- $dep := index .root.Values .dependency -}}
- to:
    {{- if $dep.enabled }}
    - podSelector:
        matchLabels:
          {{- include "foodflow.selector" (dict "root" .root "component" (include "foodflow.dependencyName" .dependency)) | nindent 10 }}
    {{- else }}
    - ipBlock:
        cidr: {{ $dep.external.cidr }}
    {{- end }}
  ports:
    - { protocol: TCP, port: {{ $dep.port }} }
{{- end }}

{{/* The name a dependency has in Compose, which the services, kong.yml and the jobs address it by. */}}
{{- define "foodflow.dependencyName" -}}
{{- get (dict "postgresql" "postgres" "redis" "redis" "rabbitmq" "rabbitmq") . -}}
{{- end }}

{{/* Name lookups: the cluster's DNS, wherever it runs. */}}
{{- define "foodflow.dnsEgress" -}}
- to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - { protocol: UDP, port: 53 }
    - { protocol: TCP, port: 53 }
{{- end }}
