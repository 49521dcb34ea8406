{{/*
Names and labels shared by every template. Kept to what the test's stand-in for helm renders
(text/template + sprig + include/tpl/toYaml/required): no lookup, no .Files.
*/}}

{{/* The release's full name: the release name alone when it already says "codeyard". */}}
{{- define "codeyard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "codeyard.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "portal"). Never change them: selectors are immutable. */}}
{{- define "codeyard.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* <prefix>codeyard-<name>:<tag>, the naming `npm run images` uses: (dict "root" $ "name" "portal"). */}}
{{- define "codeyard.image" -}}
{{- printf "%scodeyard-%s:%s" .root.Values.image.prefix .name (.root.Values.image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{- define "codeyard.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "codeyard.fullname" .)) -}}
{{- end -}}

{{- define "codeyard.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default (include "codeyard.fullname" .) -}}
{{- end -}}

{{- define "codeyard.tlsSecretName" -}}
{{- .Values.ingress.tls.secretName | default (printf "%s-tls" (include "codeyard.fullname" .)) -}}
{{- end -}}

{{/*
A container that meets the "restricted" Pod Security Standard: no root, no privilege
escalation, no capabilities, the runtime's seccomp profile, a read-only root filesystem.
*/}}
{{- define "codeyard.containerSecurity" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Placement of pods that stand in for repls (pre-puller, placeholders): where repl pods run (replNodes, also in the ConfigMap). */}}
{{- define "codeyard.replPlacement" -}}
{{- with .Values.replNodes.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.replNodes.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* A component's selector labels as one "k=v,k=v" setting (the repl NetworkPolicy's peers). */}}
{{- define "codeyard.selectorSetting" -}}
{{- $labels := fromYaml (include "codeyard.selectorLabels" .) -}}
{{- $pairs := list -}}
{{- range $k, $v := $labels }}{{ $pairs = append $pairs (printf "%s=%s" $k $v) }}{{ end -}}
{{- join "," $pairs -}}
{{- end -}}
