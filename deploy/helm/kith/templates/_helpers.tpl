{{- define "kith.labels" -}}
app.kubernetes.io/name: kith
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selects the pods of one service: (dict "root" $ "name" $name). */}}
{{- define "kith.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "kith.image" -}}
"{{ .Values.image.repository }}:{{ .Values.image.tag }}"
{{- end -}}

{{- define "kith.env" -}}
{{- range $k, $v := .root.Values.env }}
{{- if $v }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end }}
{{- if not .root.Values.env.AUTH_JWKS_URL }}
{{- /* Every service verifies tokens with the auth Service of this release. */}}
- name: AUTH_JWKS_URL
  value: "http://{{ .root.Release.Name }}-auth:{{ .root.Values.ports.http }}/.well-known/jwks.json"
{{- end }}
- name: PORT
  value: {{ .root.Values.ports.http | quote }}
- name: ADMIN_PORT
  value: {{ .root.Values.ports.admin | quote }}
- name: HOST
  value: "0.0.0.0"
- name: SHUTDOWN_GRACE
  value: "{{ .root.Values.shutdown.graceSeconds }}s"
- name: SHUTDOWN_DRAIN_DELAY
  value: "{{ .root.Values.shutdown.drainDelaySeconds }}s"
- name: TRUST_PROXY
  value: {{ .root.Values.trustProxy.hops | quote }}
{{- with .root.Values.trustProxy.cidrs }}
- name: TRUST_PROXY_CIDRS
  value: {{ join "," . | quote }}
{{- end }}
{{- range $k, $file := (include "kith.secretFiles" . | fromYaml) }}
- name: {{ $k }}_FILE
  value: /var/run/secrets/kith/{{ $file }}
{{- end }}
{{- end -}}

{{/*
The files a container reads from its service's Secret: the common ones, the service's own
(e.g. only auth holds the signing-key KEK) and, in a migration Job, the migration role.
*/}}
{{- define "kith.secretFiles" -}}
{{- $files := deepCopy .root.Values.secrets.files -}}
{{- $files = merge $files (deepCopy (.svc.secretFiles | default dict)) -}}
{{- if .migration }}{{- $files = merge $files (deepCopy .root.Values.secrets.migrationFiles) -}}{{- end -}}
{{- toYaml $files -}}
{{- end -}}

{{/* A secret volume from the service's own Secret, holding only the files the container reads. */}}
{{- define "kith.secretVolume" -}}
- name: secrets
  secret:
    secretName: {{ .root.Values.secrets.namePrefix }}-{{ .name }}
    defaultMode: 0440
    items:
      {{- range $k, $file := (include "kith.secretFiles" . | fromYaml) }}
      - { key: {{ $file }}, path: {{ $file }} }
      {{- end }}
{{- $tmp := .svc.tmp | default dict }}
- name: tmp
  {{- if $tmp.disk }}
  emptyDir: { sizeLimit: {{ $tmp.sizeLimit | default "64Mi" }} }
  {{- else }}
  emptyDir: { medium: Memory, sizeLimit: {{ $tmp.sizeLimit | default "64Mi" }} }
  {{- end }}
{{- end -}}

{{- define "kith.volumeMounts" -}}
- { name: secrets, mountPath: /var/run/secrets/kith, readOnly: true }
- { name: tmp, mountPath: /tmp }
{{- end -}}

{{- define "kith.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurityContext.runAsUser }}
runAsGroup: {{ .Values.podSecurityContext.runAsGroup }}
fsGroup: {{ .Values.podSecurityContext.fsGroup }}
seccompProfile: { type: RuntimeDefault }
{{- end -}}

{{- define "kith.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities: { drop: [ALL] }
seccompProfile: { type: RuntimeDefault }
{{- end -}}
