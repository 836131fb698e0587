# syntax=docker/dockerfile:1.7
# The image of every Node service in the registry (packages/contracts/src/services.json, runtime
# "node"): one recipe, the service named by a build argument. Build from the repository root:
#   docker build --build-arg SERVICE=api-service -t api-service .
# SERVICE is the registry name; the recipe builds package @pr-canary/${SERVICE} in apps/${SERVICE}
# (a ship check holds every Node service's registry entry to that). A new service needs nothing here.
# Base images are pinned to an exact release (see .github/README.md, "Image pins"); bump them on purpose.
# Node: the images run Node 24 LTS, the exact release development, tests and CI run (see .github/README.md, "Node versions").
ARG NODE_IMAGE=node:24.11.1-bookworm-slim

# 1. Only the workspaces the service depends on (turbo prune follows dev dependencies too, e.g. test-support).
FROM ${NODE_IMAGE} AS prune
ARG SERVICE
WORKDIR /repo
# Same turbo version as the root devDependency (a ship check holds the two together).
RUN npm install --global --no-audit --no-fund turbo@2.11.11
COPY . .
RUN test -n "${SERVICE}" || { echo 'build with --build-arg SERVICE=<registered service name>' >&2; exit 1; }
RUN turbo prune @pr-canary/${SERVICE} --docker --out-dir /pruned

# 2. Compile the service and the workspaces it depends on (tsc → dist/), then gather what runs:
#    every workspace's dist/ and every .proto contract, whichever workspaces the service prunes to.
FROM ${NODE_IMAGE} AS build
ARG SERVICE
WORKDIR /repo
COPY --from=prune /pruned/json/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY --from=prune /pruned/full/ ./
# turbo prune copies workspaces, not root files: the compiler settings every tsconfig extends.
COPY tsconfig.base.json tsconfig.build.base.json ./
RUN npx turbo run build --filter=@pr-canary/${SERVICE}
RUN mkdir /shipped && \
    find . -name node_modules -prune -o -type d -name dist -prune -print -o -type f -name '*.proto' -print \
      | xargs -r cp -r --parents -t /shipped

# 3. Production dependencies of the service only (no dev dependencies, no test-only workspaces).
FROM ${NODE_IMAGE} AS deps
ARG SERVICE
WORKDIR /app
COPY --from=prune /pruned/json/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --workspace=@pr-canary/${SERVICE} --ignore-scripts --no-audit --no-fund

# 4. Runtime: compiled JavaScript, the .proto contracts and production node_modules; no npm at run time,
#    nothing written to the filesystem (runs with a read-only root filesystem).
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ARG SERVICE_VERSION=0.0.0-dev
ENV PORT=8080 \
    METRICS_PORT=9090 \
    SERVICE_VERSION=${SERVICE_VERSION}
WORKDIR /app
COPY --from=deps /app/ ./
COPY --from=build /shipped/ ./
WORKDIR /app/apps/${SERVICE}
# The uid the manifests run as (runAsUser 10001); files stay root-owned and read-only for it.
USER 10001:10001
EXPOSE 8080 9090
# node is PID 1: the service installs its own SIGTERM/SIGINT handlers (drain, close, flush telemetry),
# which is what PID 1 needs; it starts no child processes, so there are no zombies to reap.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--expose-gc", "--require", "@pr-canary/service-kit/register", "dist/server.js"]
