"""The manual's example repositories (PRODUCT.md §10), as files to commit to a test git server.

Example 1 (`jack-2048`): a Dockerfile on the local busybox base and `2048_env.yaml`
(Deployment + Service + Ingress) whose image tag uses `${BUILD_ID}`. Example 2
(`nginx-chart`): a Dockerfile and the chart `nginx/` whose values.yaml holds
`tag: 6.0.1-alpha.${BUILD_ID}`. `registry` is the host the manifests pull from;
images live in the registry workspace `devops`.
"""
from __future__ import annotations

INDEX_HTML = "<!doctype html><title>2048</title><h1>2048</h1><p>Join the numbers.</p>\n"


def example_2048(registry: str, base_image: str) -> dict[str, str]:
    return {
        "Dockerfile": f"""\
FROM {base_image}
COPY index.html /www/index.html
RUN echo "built for 2048" > /www/build.txt
EXPOSE 8080
CMD ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]
""",
        "index.html": INDEX_HTML,
        "2048_env.yaml": f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: jack-2048
  labels:
    app: jack-2048
spec:
  replicas: 1
  selector:
    matchLabels:
      app: jack-2048
  template:
    metadata:
      labels:
        app: jack-2048
    spec:
      containers:
        - name: game
          image: {registry}/devops/jack-2048:alpha-${{BUILD_ID}}
          ports:
            - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: jack-2048
spec:
  selector:
    app: jack-2048
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: jack-2048
spec:
  rules:
    - host: 2048.example.test
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: jack-2048
                port:
                  number: 80
""",
    }


def example_nginx_chart(registry: str, base_image: str, workspace: str = "devops") -> dict[str, str]:
    return {
        "Dockerfile": f"""\
FROM {base_image}
RUN mkdir -p /usr/share/nginx/html && echo "nginx example" > /usr/share/nginx/html/index.html
EXPOSE 80
CMD ["/bin/httpd", "-f", "-p", "80", "-h", "/usr/share/nginx/html"]
""",
        "nginx/Chart.yaml": """\
apiVersion: v2
name: nginx
description: The manual's chart example
type: application
version: 0.1.0
appVersion: "6.0.1"
""",
        "nginx/values.yaml": f"""\
replicaCount: 1
image:
  repository: {registry}/{workspace}/nginx
  tag: 6.0.1-alpha.${{BUILD_ID}}
  pullPolicy: IfNotPresent
service:
  type: ClusterIP
  port: 80
""",
        "nginx/templates/_helpers.tpl": """\
{{- define "nginx.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
""",
        "nginx/templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels:
    {{- include "nginx.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      {{- include "nginx.labels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "nginx.labels" . | nindent 8 }}
    spec:
      containers:
        - name: nginx
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - containerPort: 80
""",
        "nginx/templates/service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
  labels:
    {{- include "nginx.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  selector:
    {{- include "nginx.labels" . | nindent 4 }}
  ports:
    - port: {{ .Values.service.port }}
      targetPort: 80
""",
    }
