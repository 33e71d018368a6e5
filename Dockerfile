# playerfinder container image: compile TypeScript with dev deps, install production deps separately,
# and ship only dist/ + production node_modules + package.json on a shell-less, non-root Node 24 runtime.
# Works with the classic builder (DOCKER_BUILDKIT=0): no RUN --mount, no heredocs.
#
# Base images are ARGs so a registry mirror (e.g. ACR) or a local stand-in can replace them:
#   docker build --build-arg BUILD_IMAGE=myacr.azurecr.io/node:24-bookworm-slim \
#                --build-arg RUNTIME_IMAGE=myacr.azurecr.io/distroless/nodejs24-debian12:nonroot \
#                --build-arg VERSION=1.0.0 --build-arg REVISION=$(git rev-parse HEAD) \
#                --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) \
#                --build-arg SOURCE=$(git remote get-url origin) -t playerfinder:1.0.0 .
# The runtime image must provide node at /nodejs/bin/node (gcr.io/distroless/nodejs* does).
ARG BUILD_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

# --- build: dev dependencies + tsc -> dist/ ---------------------------------------------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /app
# Manifests first so the npm ci layer stays cached while only src/ changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig*.json ./
COPY src ./src
RUN npm run build

# --- prod-deps: runtime dependencies only; no lifecycle scripts run --------------------------------
# --omit=optional too: the driver's optional peers (AWS auth, Kerberos, client-side encryption) are in the
# lock file only because a dev tool needs them, and npm keeps such "dev or optional" packages otherwise.
FROM ${BUILD_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund
# /docs serves three of swagger-ui-dist's files (src/http/routes/docs.ts); its source maps and the bundles it
# does not serve are 10 MB the image need not carry.
RUN find node_modules/swagger-ui-dist -type f \( -name '*.map' -o -name 'swagger-ui-es-bundle*' -o -name 'swagger-ui.js' \) -delete

# --- runtime ------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Files stay root-owned and read-only to the app user: the process cannot rewrite its own code.
# node_modules first: it changes less often than dist/.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist

# Distroless :nonroot is already 65532; stated again (numeric, so Kubernetes runAsNonRoot can verify it)
# in case RUNTIME_IMAGE points at a root variant.
USER 65532:65532
EXPOSE 8080
# No shell or curl in the runtime: node itself probes the liveness endpoint (which does not touch Mongo),
# on HEALTH_PORT when set, out of reach of the API port's connection cap.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:'+(+process.env.HEALTH_PORT||+process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form, node as PID 1: SIGTERM reaches the terminus handlers directly (no npm, no shell).
ENTRYPOINT ["/nodejs/bin/node"]
# Under a container memory limit V8 keeps its young generation at 1-2 MiB, and scavenges then dominate
# under load. 16 MiB semi-spaces, measured under the chart's 512 MiB limit (npm run bench -- --image):
# GET /status +10 %, GET by nick +25 % throughput, for about 45 MiB more RSS (docs/operations.md).
CMD ["--max-semi-space-size=16", "dist/main.js"]

# Last, so a new revision or timestamp only adds a metadata layer and keeps every layer above cached.
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
# The repository has no remote yet: CI passes its URL (git remote get-url origin).
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="playerfinder" \
      org.opencontainers.image.description="Find other video-game players to play with: profiles, search and matchmaking REST API on MongoDB" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT"
