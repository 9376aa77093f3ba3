# syntax=docker/dockerfile:1
# One image for the API, the worker and the migration job (docker-compose.yml picks the command).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY migrations ./migrations
# tsc, then the pre-built workflow bundle (dist/workflow-bundle.js), so workers start without webpack.
RUN npx tsc -p tsconfig.json && node dist/src/bin/build-workflow-bundle.js

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schema ./schema
USER node
EXPOSE 4000 9464
CMD ["node", "dist/src/bin/api.js"]
