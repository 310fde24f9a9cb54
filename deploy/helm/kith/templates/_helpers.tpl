{{- define "kith.labels" -}}
app.kubernetes.io/name: kith
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "kith.env" -}}
{{- range $k, $v := .root.Values.env }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
- name: PORT
  value: {{ .root.Values.port | quote }}
- name: HOST
  value: "0.0.0.0"
- name: SHUTDOWN_GRACE
  value: "{{ .root.Values.shutdownGraceSeconds }}s"
{{- range $k, $file := .root.Values.secretFiles }}
- name: {{ $k }}_FILE
  value: /var/run/secrets/kith/{{ $file }}
{{- end }}
{{- end -}}
