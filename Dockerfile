# Fieldbase server image. With DATABASE_URL set (as in docker-compose.yml) nothing embedded starts.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# The worker image (docker-compose.yml's worker service, `--target worker`): the same build plus QGIS
# from Debian bookworm's packages (python3-qgis and its data providers, about 1 GB), which runs the
# job scripts of qgis/. Not the default target: API-only instances do not need QGIS.
FROM node:20-bookworm-slim AS worker
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-qgis qgis-providers \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data QGIS_PYTHON=/usr/bin/python3
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY qgis ./qgis
RUN mkdir -p /data && chown node:node /data
USER node
CMD ["npm", "run", "worker"]

# The default target: the API server (with WORKER=false in docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8000
CMD ["node", "dist/src/main.js"]
