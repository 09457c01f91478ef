# Headless OmniRoute in a container: gateway and dashboard on port 20128, data in /app/data.
#   docker build -t omniroute .
#   docker run -d -p 20128:20128 -v omniroute-data:/app/data omniroute
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libdbus-1-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p omniroute

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libdbus-1-3 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/omniroute /usr/local/bin/omniroute
ENV OMNIROUTE_CONTAINER=1 DATA_DIR=/app/data PORT=20128
VOLUME /app/data
EXPOSE 20128
ENTRYPOINT ["omniroute", "serve"]
