#!/usr/bin/env bash
# The whole Codeyard lifecycle on a real Kubernetes cluster, the one KUBECONFIG (or
# ~/.kube/config) names: install charts/codeyard with helm, create a repl through the API, wait
# until its VS Code answers through the proxy, Run its app and reach it through its preview host,
# stop it (its pod goes away), delete it, uninstall. Prints how long each step took.
#
# Without helm, kubectl or a reachable cluster it prints SKIPPED and exits 0 (CI machines have
# no cluster). Any failed step exits 1 and says which.
#
# The cluster must be able to pull <prefix>codeyard-portal:<tag> and <prefix>codeyard-node:<tag>
# (a registry, or `kind load` / `k3d image import`; see the README's "Deploy on Kubernetes").
#
# Settings (environment):
#   CODEYARD_E2E_VALUES        your values file (domain, secrets, store...). Without one the script
#                              runs a throwaway PostgreSQL and MinIO in the namespace and makes one.
#   CODEYARD_E2E_NAMESPACE     namespace of the release (codeyard-e2e); repls go to <it>-repls
#   CODEYARD_E2E_RELEASE       release name (codeyard-e2e)
#   CODEYARD_E2E_IMAGE_PREFIX  image prefix (localhost/), CODEYARD_E2E_IMAGE_TAG (package.json version)
#   CODEYARD_E2E_POSTGRES_IMAGE, CODEYARD_E2E_MINIO_IMAGE, CODEYARD_E2E_MC_IMAGE  the throwaway services
#   CODEYARD_E2E_KEEP=1        leave everything installed afterwards, for a look
#
# The API and repl hosts are reached through `kubectl port-forward` on 127.0.0.1 (curl's
# --connect-to keeps the real Host names), so no DNS or ingress controller is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

NS="${CODEYARD_E2E_NAMESPACE:-codeyard-e2e}"
RELEASE="${CODEYARD_E2E_RELEASE:-codeyard-e2e}"
REPLS_NS="$NS-repls"
PREFIX="${CODEYARD_E2E_IMAGE_PREFIX:-localhost/}"
TAG="${CODEYARD_E2E_IMAGE_TAG:-$(node -p 'require("./package.json").version' 2>/dev/null || echo latest)}"
DOMAIN="codeyard.e2e.test"
PREVIEW_DOMAIN="codeyard-apps.e2e-previews.test" # another site than DOMAIN, or the portal refuses to start
PORTAL_PORT="${CODEYARD_E2E_PORTAL_PORT:-18480}"
PROXY_PORT="${CODEYARD_E2E_PROXY_PORT:-18481}"
WORK="$(mktemp -d)"
START=$SECONDS

say() { printf '[k8s-e2e %3ss] %s\n' "$((SECONDS - START))" "$*"; }
skip() { echo "k8s-e2e: SKIPPED: $*"; rm -rf "$WORK"; exit 0; }
die() { echo "k8s-e2e: FAILED: $*" >&2; exit 1; }

# --- Is there anything to run against? ---------------------------------------------------
for tool in helm kubectl curl node; do
  command -v "$tool" >/dev/null || skip "$tool is not on PATH (this test needs helm, kubectl, curl and node)"
done
kubectl version --request-timeout=10s >/dev/null 2>&1 \
  || skip "no Kubernetes cluster answers (KUBECONFIG=${KUBECONFIG:-~/.kube/config}, context $(kubectl config current-context 2>/dev/null || echo none))"
say "cluster: $(kubectl config current-context), images ${PREFIX}codeyard-{portal,node}:$TAG"

# --- Cleanup: only what this run started -------------------------------------------------
FORWARDS=()
cleanup() {
  local status=$?
  for pid in "${FORWARDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    echo "--- what the cluster says (namespace $NS, then $REPLS_NS) ---" >&2
    kubectl -n "$NS" get pods -o wide >&2 || true
    kubectl -n "$NS" logs "deploy/$RELEASE-portal" --tail=40 >&2 2>/dev/null || kubectl -n "$NS" logs "deploy/$RELEASE-codeyard-portal" --tail=40 >&2 || true
    kubectl -n "$REPLS_NS" get pods,events >&2 2>/dev/null || true
  fi
  if [ "${CODEYARD_E2E_KEEP:-}" = 1 ]; then
    say "kept: helm -n $NS uninstall $RELEASE && kubectl delete namespace $NS $REPLS_NS"
  else
    helm -n "$NS" uninstall "$RELEASE" --wait --timeout 5m >/dev/null 2>&1 || true
    kubectl delete namespace "$NS" "$REPLS_NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# wait_for DESCRIPTION SECONDS COMMAND...: retries COMMAND every 2 s until it succeeds, at most SECONDS.
wait_for() {
  local what="$1" limit="$2" deadline=$((SECONDS + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "$what: not within ${limit}s"
    sleep 2
  done
}

# --- Throwaway PostgreSQL and MinIO, unless a values file brings real ones ------------------
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
VALUES="${CODEYARD_E2E_VALUES:-}"
if [ -z "$VALUES" ]; then
  say "throwaway PostgreSQL and MinIO in $NS"
  PASSWORD="$(node -p 'require("crypto").randomBytes(12).toString("hex")')"
  kubectl -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Secret
metadata: { name: e2e-services }
stringData: { POSTGRES_PASSWORD: "$PASSWORD", MINIO_ROOT_USER: e2e-minio, MINIO_ROOT_PASSWORD: "$PASSWORD" }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: e2e-postgres }
spec:
  selector: { matchLabels: { app: e2e-postgres } }
  template:
    metadata: { labels: { app: e2e-postgres } }
    spec:
      containers:
        - name: postgres
          image: ${CODEYARD_E2E_POSTGRES_IMAGE:-docker.io/library/postgres:16-alpine}
          env: [{ name: POSTGRES_USER, value: codeyard }, { name: POSTGRES_DB, value: codeyard }]
          envFrom: [{ secretRef: { name: e2e-services } }]
          ports: [{ containerPort: 5432 }]
          readinessProbe: { exec: { command: [pg_isready, -U, codeyard] }, periodSeconds: 2 }
---
apiVersion: v1
kind: Service
metadata: { name: e2e-postgres }
spec: { selector: { app: e2e-postgres }, ports: [{ port: 5432 }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: e2e-minio }
spec:
  selector: { matchLabels: { app: e2e-minio } }
  template:
    metadata: { labels: { app: e2e-minio } }
    spec:
      containers:
        - name: minio
          image: ${CODEYARD_E2E_MINIO_IMAGE:-quay.io/minio/minio:latest}
          args: [server, /data]
          envFrom: [{ secretRef: { name: e2e-services } }]
          ports: [{ containerPort: 9000 }]
          readinessProbe: { httpGet: { path: /minio/health/ready, port: 9000 }, periodSeconds: 2 }
---
apiVersion: v1
kind: Service
metadata: { name: e2e-minio }
spec: { selector: { app: e2e-minio }, ports: [{ port: 9000 }] }
---
apiVersion: batch/v1
kind: Job
metadata: { name: e2e-bucket }
spec:
  backoffLimit: 30
  template:
    spec:
      restartPolicy: OnFailure
      containers:
        - name: mc
          image: ${CODEYARD_E2E_MC_IMAGE:-quay.io/minio/mc:latest}
          envFrom: [{ secretRef: { name: e2e-services } }]
          command: [sh, -c, 'mc alias set e2e http://e2e-minio:9000 "\$MINIO_ROOT_USER" "\$MINIO_ROOT_PASSWORD" && mc mb --ignore-existing e2e/codeyard-e2e']
YAML
  kubectl -n "$NS" rollout status deploy/e2e-postgres deploy/e2e-minio --timeout=300s >/dev/null || die "PostgreSQL or MinIO did not start"
  kubectl -n "$NS" wait --for=condition=complete job/e2e-bucket --timeout=300s >/dev/null || die "the MinIO bucket was not made"
  VALUES="$WORK/values.yaml"
  cat >"$VALUES" <<YAML
domain: $DOMAIN
previewDomain: $PREVIEW_DOMAIN
publicScheme: http
image: { prefix: "$PREFIX", tag: "$TAG" }
secrets:
  signingKey: $(node -p 'require("crypto").randomBytes(32).toString("hex")')
  adminToken: $(node -p 'require("crypto").randomBytes(24).toString("hex")')
  databaseUrl: postgres://codeyard:$PASSWORD@e2e-postgres.$NS.svc:5432/codeyard
  s3AccessKeyId: e2e-minio
  s3SecretAccessKey: "$PASSWORD"
store: { bucket: codeyard-e2e, endpoint: "http://e2e-minio.$NS.svc:9000" }
repls: { namespace: $REPLS_NS, stacks: [node], warmPool: 0 }
ingress: { enabled: false }
portal: { replicas: 2 }
proxy: { replicas: 2 }
YAML
fi
DOMAIN="$(node -e 'const t=require("fs").readFileSync(process.argv[1],"utf8");const m=/^domain:\s*"?([^"\s]+)/m.exec(t);console.log(m?m[1]:"")' "$VALUES")"
PREVIEW_DOMAIN="$(node -e 'const t=require("fs").readFileSync(process.argv[1],"utf8");const m=/^previewDomain:\s*"?([^"\s]+)/m.exec(t);console.log(m?m[1]:"")' "$VALUES")"
if [ -z "$DOMAIN" ] || [ -z "$PREVIEW_DOMAIN" ]; then die "$VALUES must set domain and previewDomain at the top level"; fi

# --- Install ---------------------------------------------------------------------------------
say "helm install $RELEASE (namespace $NS, repls in $REPLS_NS)"
T=$SECONDS
# Plain http whatever the values say: the script reaches the hosts through port-forwards, where a
# Secure cookie would never come back. Anonymous mode: the script takes an account with
# POST /api/session instead of signing in.
helm upgrade --install "$RELEASE" charts/codeyard -n "$NS" -f "$VALUES" \
  --set "repls.namespace=$REPLS_NS" --set "image.prefix=$PREFIX" --set "image.tag=$TAG" --set publicScheme=http \
  --set config.CODEYARD_AUTH=anonymous \
  --wait --timeout 10m >/dev/null || die "helm install (see the pods below)"
say "installed, portal and proxy ready in $((SECONDS - T))s"

FULL="$(kubectl -n "$NS" get deploy -l "app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/component=portal" -o jsonpath='{.items[0].metadata.name}')"
FULL="${FULL%-portal}"
kubectl -n "$NS" port-forward "svc/$FULL-portal" "$PORTAL_PORT:80" --address 127.0.0.1 >"$WORK/pf-portal.log" 2>&1 &
FORWARDS+=($!)
kubectl -n "$NS" port-forward "svc/$FULL-proxy" "$PROXY_PORT:80" --address 127.0.0.1 >"$WORK/pf-proxy.log" 2>&1 &
FORWARDS+=($!)

# portal METHOD PATH [JSON]: the API, as the browser would reach it (Host: the portal's domain).
portal() {
  curl -sS --fail-with-body --max-time 120 --connect-to "::127.0.0.1:$PORTAL_PORT" -X "$1" "http://$DOMAIN$2" \
    ${TOKEN:+-H "authorization: Bearer $TOKEN"} ${3:+-H 'content-type: application/json' -d "$3"}
}
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"; }
# repl_host URL: fetches a repl host through the proxy's port-forward, with the cookie jar.
repl_host() { curl -sS --fail --max-time 30 -L -b "$WORK/cookies" -c "$WORK/cookies" --connect-to "::127.0.0.1:$PROXY_PORT" "$1"; }

wait_for "the portal through the port-forward" 60 portal GET /healthz
TOKEN=""
TOKEN="$(portal POST /api/session | json token)"

# --- A repl's life ---------------------------------------------------------------------------
T=$SECONDS
ID="$(portal POST /api/repls '{"stack":"node","name":"k8s-e2e"}' | json id)"
[ -n "$ID" ] || die "POST /api/repls gave no id"
say "created repl $ID"
[ "$(portal POST "/api/repls/$ID/start" | json status)" = running ] || die "the repl did not reach running"
POD="$(kubectl -n "$REPLS_NS" get pods -l "codeyard.dev/repl=$ID" -o jsonpath='{.items[0].metadata.name}')"
[ -n "$POD" ] || die "no pod labelled codeyard.dev/repl=$ID in $REPLS_NS"
say "running in pod $POD after $((SECONDS - T))s"

ide_ready() {
  local url
  url="$(portal POST "/api/repls/$ID/ide-link" '{}' | json url)"
  repl_host "$url" | grep -q 'vs/code'
}
wait_for "VS Code answering through the proxy" 180 ide_ready
say "IDE ready $((SECONDS - T))s after create"

portal POST "/api/repls/$ID/app/start" >/dev/null
T=$SECONDS
wait_for "the app answering on $ID-3000.$PREVIEW_DOMAIN" 120 repl_host "http://$ID-3000.$PREVIEW_DOMAIN/"
say "Run: the app answered after $((SECONDS - T))s"

[ "$(portal POST "/api/repls/$ID/stop" | json status)" = stopped ] || die "the repl did not stop"
no_pod() { [ -z "$(kubectl -n "$REPLS_NS" get pods -l "codeyard.dev/repl=$ID" -o name)" ]; }
wait_for "the repl's pod going away after stop" 180 no_pod
say "stopped: files saved, pod gone"

portal DELETE "/api/repls/$ID" >/dev/null
[ "$(curl -s -o /dev/null -w '%{http_code}' --connect-to "::127.0.0.1:$PORTAL_PORT" -H "authorization: Bearer $TOKEN" "http://$DOMAIN/api/repls/$ID")" = 404 ] \
  || die "the deleted repl still answers"
say "deleted"

if [ "${CODEYARD_E2E_KEEP:-}" != 1 ]; then
  helm -n "$NS" uninstall "$RELEASE" --wait --timeout 5m >/dev/null || die "helm uninstall"
  say "uninstalled"
fi
echo "k8s-e2e: PASSED in $((SECONDS - START))s"
