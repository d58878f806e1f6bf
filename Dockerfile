# syntax=docker/dockerfile:1.7
# Build stage: full install (TypeScript), compile, then drop dev dependencies.
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# npm ci applies these to node_modules (package.json's postinstall); pruning keeps them applied.
COPY configs/patches ./configs/patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY bench ./bench
COPY test/support ./test/support
COPY configs ./configs
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: production dependencies, compiled code and configs only, as a non-root user.
FROM node:20.20-bookworm-slim
ENV NODE_ENV=production PORT=8000 ENVIRONMENT=production
WORKDIR /app
# Code and configs stay root's, readable but not writable by the node user: a process taken over
# through a dependency cannot rewrite what the next start runs. It writes only to DATA_DIR and /tmp.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
# The server's code only: dist/bench and dist/test/support (the benches' and tests' stand-ins) are
# built beside it but never loaded by it.
COPY --from=build /app/dist/apps ./dist/apps
COPY --from=build /app/dist/libs ./dist/libs
COPY --from=build /app/configs ./configs
# DATA_DIR's default (./data, i.e. /app/data) holds the embedded engines' files: /app is root's,
# so the node user could not create it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Cloud Run sends SIGTERM; Nest's shutdown hooks drain requests and close the engines.
STOPSIGNAL SIGTERM
# Node flags as in package.json's start script and the benches (bench/bench-support.ts says why).
CMD ["node", "--no-allocation-site-pretenuring", "--enable-source-maps", "dist/apps/api/src/main.js"]
