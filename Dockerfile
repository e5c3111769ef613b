# syntax=docker/dockerfile:1
# regnotify image: `docker run -p 5050:5050 regnotify` runs the all-in-one (`start`, with an
# embedded redis-server); docker-compose.yml runs `ingest` and `work` against a real Redis.
#
# Node 24 is an LTS line (maintained to 2028); package.json allows >= 20.18. Build with
# --build-arg NODE_VERSION=<n> to move to a newer LTS once it has been tested.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so a source-only change reuses this layer. --ignore-scripts: the
# package's own `prepare` (build + link the bin) needs the sources, copied next; built below.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim
# redis-server is only for `regnotify start` without redis.url (the embedded Redis); compose
# and production point REGNOTIFY_REDIS_URL at a real Redis and never run it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# Code and dependencies belong to root: the service user can run them but not change them.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The embedded Redis keeps its AOF under ./var/redis (mount a volume there to keep it).
RUN mkdir -p /app/var && chown node:node /app/var
USER node
EXPOSE 5050 9090
# Slim images have no curl: ask node. HEALTHCHECK_URL lets a worker (health on metrics.addr,
# e.g. :9090) reuse the image's check; compose sets its own checks anyway.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.HEALTHCHECK_URL || 'http://127.0.0.1:5050/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/workers/regnotify.js"]
CMD ["start"]
