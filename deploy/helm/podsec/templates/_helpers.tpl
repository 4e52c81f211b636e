{{/* Full name of the release's objects. */}}
{{- define "podsec.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "podsec.serviceName" -}}
{{- printf "%s-webhook" (include "podsec.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "podsec.serviceAccountName" -}}
{{- default (include "podsec.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "podsec.tlsSecretName" -}}
{{- if .Values.certManager.enabled -}}
{{- printf "%s-webhook-tls" (include "podsec.fullname" .) -}}
{{- else -}}
{{- required "tls.existingSecret is required when certManager.enabled is false" .Values.tls.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "podsec.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "podsec.labels" -}}
{{ include "podsec.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The PodsecPolicy of policy.content (a map, completed with apiVersion and kind, or a YAML string). */}}
{{- define "podsec.policy" -}}
{{- $content := .Values.policy.content -}}
{{- if not $content -}}
{{- fail "policy.content is required when policy.enabled is true: a PodsecPolicy (podsec.dev/v1alpha1), as a map or a YAML string" -}}
{{- else if kindIs "string" $content -}}
{{- $content | trim -}}
{{- else -}}
{{- merge (deepCopy $content) (dict "apiVersion" "podsec.dev/v1alpha1" "kind" "PodsecPolicy") | toYaml | trim -}}
{{- end -}}
{{- end -}}
