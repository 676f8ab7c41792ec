{{/* Labels every object carries. */}}
{{- define "cloneset-rollout.labels" -}}
app.kubernetes.io/part-of: cloneset-rollout
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The ServiceAccount both Deployments run as. */}}
{{- define "cloneset-rollout.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default "cloneset-rollout" -}}
{{- end -}}

{{- define "cloneset-rollout.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The Secret mounted at /etc/temporal-tls: TLS files, and the API key unless it has its own Secret. */}}
{{- define "cloneset-rollout.tlsSecret" -}}
{{- .Values.temporal.tls.secretName -}}
{{- end -}}

{{/*
The Temporal connection environment shared by the worker and the controller (src/temporal/connection.ts reads it),
beside the ConfigMap's plain settings: the TLS file paths in the mounted Secret and the API key from its Secret.
*/}}
{{- define "cloneset-rollout.temporalEnv" -}}
{{- $tls := .Values.temporal.tls -}}
{{- if or $tls.enabled $tls.secretName .Values.temporal.apiKey.secretName }}
- name: TEMPORAL_TLS
  value: "true"
{{- end }}
{{- if $tls.secretName }}
{{- if $tls.caKey }}
- name: TEMPORAL_TLS_CA
  value: /etc/temporal-tls/{{ $tls.caKey }}
{{- end }}
{{- if and $tls.certKey $tls.keyKey }}
- name: TEMPORAL_TLS_CERT
  value: /etc/temporal-tls/{{ $tls.certKey }}
- name: TEMPORAL_TLS_KEY
  value: /etc/temporal-tls/{{ $tls.keyKey }}
{{- end }}
{{- end }}
{{- if $tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ $tls.serverName | quote }}
{{- end }}
{{- if .Values.temporal.apiKey.secretName }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.temporal.apiKey.secretName }}
      key: {{ .Values.temporal.apiKey.key }}
{{- end }}
{{- end -}}

{{/* The TLS Secret's volume mount and volume, when one is set. */}}
{{- define "cloneset-rollout.tlsVolumeMount" -}}
{{- if .Values.temporal.tls.secretName }}
- name: temporal-tls
  mountPath: /etc/temporal-tls
  readOnly: true
{{- end }}
{{- end -}}
{{- define "cloneset-rollout.tlsVolume" -}}
{{- if .Values.temporal.tls.secretName }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.secretName }}
{{- end }}
{{- end -}}
