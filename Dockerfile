# syntax=docker/dockerfile:1
#
# One image for every MChat process (gateway, Temporal worker, web, demo agent); docker-compose.yml
# picks the process with `command`. Node >= 20.19 (package.json engines): node:20 is the 20.x line.

ARG NODE_IMAGE=node:20-bookworm-slim

# ─── deps: the full dependency tree, exactly as locked ───────────────────────
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci

# ─── build: the SvelteKit app (adapter-node output in web/build) ─────────────
FROM deps AS build
COPY . .
RUN npx vite build web && test -f web/build/index.js

# ─── prod-deps: runtime dependencies only (tsx runs the TypeScript services) ─
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev

# ─── runtime ────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    MCHAT_DATA_DIR=/data
WORKDIR /app

# Sources and dependencies stay root-owned (read-only for the app); only /data is writable.
COPY . .
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/web/build ./web/build
RUN mkdir -p /data && chown node:node /data

USER node
EXPOSE 8080 3000 8090

# The gateway by default; docker-compose.yml sets the command of every service.
CMD ["npx", "tsx", "gateway/main.ts"]
