{{- define "broken.host" -}}
{{ .Values.database.primary.host | quote }}
{{- end -}}
