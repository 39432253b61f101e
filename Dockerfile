# Flower-shop API image: compiled JavaScript on a maintained Node.js LTS, production
# dependencies only, non-root, tini as PID 1 forwarding signals to node.
#
#   docker build -t flower-shop-api .              # the API (default target: runtime)
#   docker build --target load -t flower-shop-load .   # the load generator (dev dependencies)

# --- all dependencies; better-sqlite3 compiles a native addon when no prebuilt binary
# fits, hence python3/make/g++ in build stages only ---
FROM node:24.11.1-bookworm-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

# --- compile TypeScript to dist/ ---
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- production dependencies only (the native addon stays built) ---
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

# --- load generator (`docker-compose --profile load up load`): needs autocannon and tsx ---
FROM deps AS load
COPY tsconfig.json ./
COPY src ./src
COPY bench ./bench
COPY scripts ./scripts
USER node
ENTRYPOINT ["npm", "run", "load", "--"]

# --- runtime ---
FROM node:24.11.1-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_PATH=/data/shop.db
# Code and dependencies belong to root (read-only for the service); only /data is writable.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# No curl in a slim image: Node's own fetch asks /readyz (200 when ready or degraded).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# tini is PID 1: it forwards SIGTERM to node and reaps zombies; node runs directly, not under npm.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--enable-source-maps", "--import", "./dist/observability/tracing-bootstrap.js", "dist/main.js"]
