# Headless OmniRoute in a container: gateway and dashboard on port 20128, data in /app/data,
# running as an unprivileged user. Off loopback a first password of your own is required:
#   docker build -t omniroute .
#   docker run -d -p 20128:20128 -v omniroute-data:/app/data \
#     -e INITIAL_PASSWORD='a password of your own' omniroute
# Client requests need an API key (created in the dashboard) unless REQUIRE_API_KEY=false.
# Each stage runs scripts/image-stage.sh, which the test command also runs without Docker.

# The dashboard, which the gateway embeds at compile time.
FROM node:20-bookworm-slim AS ui
WORKDIR /src
COPY scripts/image-stage.sh scripts/
COPY ui/ ui/
RUN scripts/image-stage.sh ui

FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libdbus-1-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
COPY --from=ui /src/ui/dist ui/dist
RUN scripts/image-stage.sh build

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libdbus-1-3 && rm -rf /var/lib/apt/lists/*
COPY scripts/image-stage.sh /usr/local/lib/omniroute/image-stage.sh
RUN /usr/local/lib/omniroute/image-stage.sh user
COPY --from=build /src/target/release/omniroute /usr/local/bin/omniroute
ENV OMNIROUTE_CONTAINER=1 DATA_DIR=/app/data PORT=20128
USER omniroute
VOLUME /app/data
EXPOSE 20128
ENTRYPOINT ["omniroute", "serve"]
