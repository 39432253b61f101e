# Flower-shop API image. `npm start` runs the TypeScript directly through tsx,
# so there is no build step; devDependencies stay in because the `load`
# compose service runs `npm run load` (autocannon) from this same image.

# --- dependencies (better-sqlite3 compiles a native addon when no prebuilt
# binary fits, hence python3/make/g++ in this stage only) ---
FROM node:20.18.1-bookworm-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

# --- runtime ---
FROM node:20.18.1-bookworm-slim
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node . .
# /data holds the SQLite database (a named volume in docker-compose.yml).
RUN mkdir -p /data && chown node:node /data
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_PATH=/data/shop.db
USER node
EXPOSE 3000
CMD ["npm", "start"]
