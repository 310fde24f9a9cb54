# One image for every Kith service; the service is the first argument:
#   docker run IMAGE auth serve     docker run IMAGE user migrate
# Build: docker build -t kith .   The runtime stage holds only Node and the bundles from
# `pnpm build` (assembled by scripts/image-files.mjs), owned by root and run as uid 10001, so it
# runs with a read-only root filesystem (Kubernetes mounts an emptyDir at /tmp).

FROM node:20-bookworm-slim AS build
WORKDIR /src
RUN corepack enable && corepack prepare pnpm@10.34.8 --activate
# Dependencies first, so a source change does not download them again.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY patches ./patches
RUN pnpm fetch --frozen-lockfile
COPY . .
RUN pnpm install --offline --frozen-lockfile \
  && pnpm build \
  && node scripts/image-files.mjs /out

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    KITH_MODE=distributed \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=build /out/ /app/
USER 10001:10001
EXPOSE 8080 9090
ENTRYPOINT ["node", "/app/kith.mjs"]
CMD ["--help"]
