#!/usr/bin/env bash
# Creates an AKS cluster with an attached ACR and the app routing add-on, imports the mongo image, creates the
# zone-redundant disk class and a Key Vault certificate for the Ingress, then builds, pushes and installs
# playerfinder. Step by step explanation: k8s/aks/README.md. Override any variable from the environment.
set -euo pipefail

RESOURCE_GROUP="${RESOURCE_GROUP:-playerfinder-rg}"
LOCATION="${LOCATION:-westeurope}"
ACR_NAME="${ACR_NAME:-playerfinderacr$RANDOM}"   # globally unique, 5-50 alphanumerics
CLUSTER_NAME="${CLUSTER_NAME:-playerfinder-aks}"
NODE_COUNT="${NODE_COUNT:-3}"
NODE_VM_SIZE="${NODE_VM_SIZE:-Standard_D2s_v5}"
NAMESPACE="${NAMESPACE:-playerfinder}"
KEYVAULT_NAME="${KEYVAULT_NAME:-playerfinderkv$RANDOM}"   # globally unique, 3-24 alphanumerics and dashes
INGRESS_HOST="${INGRESS_HOST:-playerfinder.example.com}"
TLS_PFX="${TLS_PFX:-}"                            # certificate for INGRESS_HOST (PFX); empty: a self-signed one
DEPLOY_WITH="${DEPLOY_WITH:-skaffold}"            # how the image is built: skaffold | docker; helm installs it either way
KEYVAULT_ADMIN_ID="${KEYVAULT_ADMIN_ID:-}"        # who may write the vault's certificates; empty: the signed-in user
KEYVAULT_ADMIN_TYPE="${KEYVAULT_ADMIN_TYPE:-User}" # User, or ServicePrincipal when a pipeline runs this
KEYVAULT_RETRY_SECONDS="${KEYVAULT_RETRY_SECONDS:-30}" # between attempts to store the certificate (10 at most)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"
MONGO_TAG="${MONGO_TAG:-$(sed -n 's/^    tag: "\(.*\)"$/\1/p' chart/values.yaml)}"

if [ -n "$TLS_PFX" ] && [ ! -r "$TLS_PFX" ]; then
  echo "setup.sh: TLS_PFX=$TLS_PFX is not a readable file" >&2
  exit 1
fi
# skaffold (v2.16) asks `helm version --client`, which Helm 4 refuses: find out now, not after the cluster exists.
if [ "$DEPLOY_WITH" = skaffold ] && ! helm version --client > /dev/null 2>&1; then
  echo "setup.sh: skaffold needs Helm 3 first on PATH (Helm 4 refuses 'helm version --client'); put Helm 3 first, or run with DEPLOY_WITH=docker" >&2
  exit 1
fi

echo "==> resource group $RESOURCE_GROUP ($LOCATION)"
az group create --name "$RESOURCE_GROUP" --location "$LOCATION" --output none

echo "==> container registry $ACR_NAME"
az acr create --resource-group "$RESOURCE_GROUP" --name "$ACR_NAME" --sku Basic --output none
ACR_SERVER="$(az acr show --name "$ACR_NAME" --query loginServer --output tsv)"

echo "==> AKS cluster $CLUSTER_NAME (AcrPull for the kubelet identity, app routing add-on, 3 zones)"
az aks create \
  --resource-group "$RESOURCE_GROUP" \
  --name "$CLUSTER_NAME" \
  --node-count "$NODE_COUNT" \
  --node-vm-size "$NODE_VM_SIZE" \
  --zones 1 2 3 \
  --attach-acr "$ACR_NAME" \
  --enable-app-routing \
  --network-plugin azure \
  --network-policy azure \
  --generate-ssh-keys \
  --output none

echo "==> kubectl credentials"
az aks get-credentials --resource-group "$RESOURCE_GROUP" --name "$CLUSTER_NAME" --overwrite-existing

echo "==> registry login for docker/skaffold pushes (without it pushes get 401)"
az acr login --name "$ACR_NAME"

echo "==> check that the cluster can pull from the registry"
az aks check-acr --resource-group "$RESOURCE_GROUP" --name "$CLUSTER_NAME" --acr "$ACR_SERVER"

echo "==> mongo:$MONGO_TAG imported into the registry (no anonymous Docker Hub pulls from the nodes)"
az acr import --name "$ACR_NAME" --source "docker.io/library/mongo:$MONGO_TAG" --image "mongo:$MONGO_TAG" --force

echo "==> zone-redundant disk class for the MongoDB members"
kubectl apply -f k8s/aks/storageclass-zrs.yaml

echo "==> Key Vault $KEYVAULT_NAME with the Ingress certificate, attached to the app routing add-on"
az keyvault create --resource-group "$RESOURCE_GROUP" --name "$KEYVAULT_NAME" --location "$LOCATION" --enable-rbac-authorization true --output none
KEYVAULT_ID="$(az keyvault show --name "$KEYVAULT_NAME" --query id --output tsv)"
# An RBAC vault gives its creator no access to its contents: certificates need a data-plane role.
echo "    Key Vault Certificates Officer on the vault for ${KEYVAULT_ADMIN_ID:-the signed-in user}"
admin_id="${KEYVAULT_ADMIN_ID:-$(az ad signed-in-user show --query id --output tsv)}"
role=(--role "Key Vault Certificates Officer" --scope "$KEYVAULT_ID")
# On a re-run the assignment exists, which some az versions report as an error.
az role assignment create "${role[@]}" --assignee-object-id "$admin_id" --assignee-principal-type "$KEYVAULT_ADMIN_TYPE" --output none \
  || [ -n "$(az role assignment list "${role[@]}" --assignee "$admin_id" --query '[0].id' --output tsv)" ]
if [ -z "$TLS_PFX" ]; then
  echo "    no TLS_PFX: creating a self-signed certificate for $INGRESS_HOST (browsers will warn)"
  az keyvault certificate get-default-policy \
    | sed "s/CN=CLIGetDefaultPolicy/CN=$INGRESS_HOST/" > "${TMPDIR:-/tmp}/playerfinder-cert-policy.json"
fi
store_certificate() {
  if [ -n "$TLS_PFX" ]; then
    az keyvault certificate import --vault-name "$KEYVAULT_NAME" --name playerfinder --file "$TLS_PFX" --output none
  else
    az keyvault certificate create --vault-name "$KEYVAULT_NAME" --name playerfinder \
      --policy "@${TMPDIR:-/tmp}/playerfinder-cert-policy.json" --output none
  fi
}
# A new role assignment takes up to a few minutes to reach Key Vault.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if store_certificate; then break; fi
  if [ "$attempt" = 10 ]; then echo "setup.sh: could not store the certificate in $KEYVAULT_NAME" >&2; exit 1; fi
  echo "    not allowed yet (the role assignment is propagating); retrying in $KEYVAULT_RETRY_SECONDS s"
  sleep "$KEYVAULT_RETRY_SECONDS"
done
az aks approuting update --resource-group "$RESOURCE_GROUP" --name "$CLUSTER_NAME" --enable-kv --attach-kv "$KEYVAULT_ID"
CERT_URI="$(az keyvault certificate show --vault-name "$KEYVAULT_NAME" --name playerfinder --query id --output tsv)"
chart_settings=(
  --set "mongodb.image.repository=$ACR_SERVER/mongo"
  --set-string "ingress.annotations.kubernetes\.azure\.com/tls-cert-keyvault-uri=$CERT_URI"
  --set "ingress.hosts[0].host=$INGRESS_HOST"
  --set "ingress.tls[0].secretName=keyvault-playerfinder"
  --set "ingress.tls[0].hosts[0]=$INGRESS_HOST"
)

kubectl create namespace "$NAMESPACE" --dry-run=client --output yaml | kubectl apply -f -

if [ "$DEPLOY_WITH" = skaffold ]; then
  echo "==> build (linux/amd64) and push with skaffold"
  image="$(skaffold build --profile aks --default-repo "$ACR_SERVER" --quiet --output '{{range .Builds}}{{.Tag}}{{end}}')"
  tag="${image#*/playerfinder:}"   # tag@digest, which the chart splits
else
  echo "==> build and push with docker"
  tag="$(git rev-parse --short HEAD 2>/dev/null || date +%Y%m%d%H%M%S)"
  docker buildx build --platform linux/amd64 --tag "$ACR_SERVER/playerfinder:$tag" --push .
fi

echo "==> install with helm (waits until the MongoDB replica set has formed)"
helm upgrade --install playerfinder ./chart \
  --namespace "$NAMESPACE" \
  --values chart/values-aks.yaml \
  --set image.repository="$ACR_SERVER/playerfinder" \
  --set image.tag="$tag" \
  "${chart_settings[@]}" \
  --wait --timeout 15m

helm test playerfinder --namespace "$NAMESPACE"
kubectl --namespace "$NAMESPACE" get ingress,pods,pvc
