{{- define "kith.labels" -}}
app.kubernetes.io/name: kith
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "kith.env" -}}
{{- range $k, $v := .root.Values.env }}
{{- if $v }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end }}
{{- if not .root.Values.env.AUTH_JWKS_URL }}
{{/* Every service verifies tokens with the auth Service of this release. */}}
- name: AUTH_JWKS_URL
  value: "http://{{ .root.Release.Name }}-auth:{{ .root.Values.port }}/.well-known/jwks.json"
{{- end }}
- name: PORT
  value: {{ .root.Values.port | quote }}
- name: HOST
  value: "0.0.0.0"
- name: SHUTDOWN_GRACE
  value: "{{ .root.Values.shutdownGraceSeconds }}s"
{{- range $k, $file := (include "kith.secretFiles" . | fromYaml) }}
- name: {{ $k }}_FILE
  value: /var/run/secrets/kith/{{ $file }}
{{- end }}
{{- end -}}

{{/* The shared secret files plus the service's own (e.g. only auth holds the signing-key KEK). */}}
{{- define "kith.secretFiles" -}}
{{- $files := deepCopy .root.Values.secretFiles -}}
{{- if .svc }}{{- $files = merge $files (.svc.secretFiles | default dict) -}}{{- end -}}
{{- toYaml $files -}}
{{- end -}}

{{/* A projected secret volume holding only the files the service reads. */}}
{{- define "kith.secretVolume" -}}
- name: secrets
  secret:
    secretName: {{ .root.Values.existingSecret }}
    items:
      {{- range $k, $file := (include "kith.secretFiles" . | fromYaml) }}
      - { key: {{ $file }}, path: {{ $file }} }
      {{- end }}
{{- end -}}
