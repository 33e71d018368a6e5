#!/usr/bin/env bash
# Creates an AKS cluster with an attached ACR and the app routing add-on, then builds, pushes and installs
# playerfinder. Step by step explanation: k8s/aks/README.md. Override any variable from the environment.
set -euo pipefail

RESOURCE_GROUP="${RESOURCE_GROUP:-playerfinder-rg}"
LOCATION="${LOCATION:-westeurope}"
ACR_NAME="${ACR_NAME:-playerfinderacr$RANDOM}"   # globally unique, 5-50 alphanumerics
CLUSTER_NAME="${CLUSTER_NAME:-playerfinder-aks}"
NODE_COUNT="${NODE_COUNT:-3}"
NODE_VM_SIZE="${NODE_VM_SIZE:-Standard_D2s_v5}"
NAMESPACE="${NAMESPACE:-playerfinder}"
DEPLOY_WITH="${DEPLOY_WITH:-skaffold}"            # skaffold | helm

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"

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

kubectl create namespace "$NAMESPACE" --dry-run=client --output yaml | kubectl apply -f -

if [ "$DEPLOY_WITH" = skaffold ]; then
  echo "==> build (linux/amd64), push and deploy with skaffold"
  skaffold run --profile aks --default-repo "$ACR_SERVER" --namespace "$NAMESPACE"
else
  echo "==> build and push with docker, install with helm"
  tag="$(git rev-parse --short HEAD 2>/dev/null || date +%Y%m%d%H%M%S)"
  docker buildx build --platform linux/amd64 --tag "$ACR_SERVER/playerfinder:$tag" --push .
  helm upgrade --install playerfinder ./chart \
    --namespace "$NAMESPACE" \
    --values chart/values-aks.yaml \
    --set image.repository="$ACR_SERVER/playerfinder" \
    --set image.tag="$tag" \
    --wait --timeout 10m
fi

helm test playerfinder --namespace "$NAMESPACE"
kubectl --namespace "$NAMESPACE" get ingress,pods,pvc
