# One image holding both binaries (and the demo backend), built from this repository:
#   docker build -t wharf .
# Run the demo:        docker run --rm -p 8080:80 wharf
# Run a data plane:    docker run ... wharf wharf-dataplane --entrypoint web=:80 ...
# Run a controller:    docker run ... wharf wharf-controller --file /etc/wharf/dynamic.yml ...
# The processes run as user 65532 ("wharf"), write only /run/wharf (control socket),
# /var/lib/wharf (saved table, ACME storage) and /tmp, and so work with --read-only and those
# three as tmpfs or volumes. wharf-dataplane carries the file capability to bind ports below
# 1024 (keep NET_BIND_SERVICE when dropping capabilities); nothing else does.
# DEBIAN and RUNTIME select the base images (debian:bookworm and debian:bookworm-slim).
ARG DEBIAN=debian:bookworm
ARG RUNTIME=debian:bookworm-slim

FROM ${DEBIAN} AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      g++ cmake ninja-build pkg-config libboost1.81-dev rapidjson-dev libssl-dev \
      libyaml-cpp-dev libcrypt-dev zlib1g-dev libbrotli-dev libzstd-dev prometheus-cpp-dev \
      libnghttp2-dev libtomlplusplus-dev libgtest-dev libgmock-dev >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The demo backend lives with the test helpers, hence WHARF_TESTS=ON; only these three
# targets are built. The binaries are stripped, so no debug information is made at all (30 %
# of the compile time); -O2 as in the benchmarked build.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DWHARF_TESTS=ON >/dev/null \
 && ninja -C /build wharf-dataplane wharf-controller wharf-demo-backend \
 && strip /build/dataplane/wharf-dataplane /build/controller/wharf-controller \
          /build/tests/wharf-demo-backend

FROM ${RUNTIME}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="Wharf" \
      org.opencontainers.image.description="Ingress controller for Docker hosts and Kubernetes: wharf-controller and wharf-dataplane" \
      org.opencontainers.image.version="${VERSION}"
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates libssl3 libyaml-cpp0.7 libprometheus-cpp-core1.0 libbrotli1 libzstd1 \
      zlib1g libcrypt1 libnghttp2-14 libtomlplusplus3 libcap2-bin >/dev/null \
 && groupadd --gid 65532 wharf \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin wharf \
 && mkdir -p /run/wharf /var/lib/wharf /etc/wharf \
 && chown wharf:wharf /run/wharf /var/lib/wharf \
 && chmod 0750 /run/wharf /var/lib/wharf
COPY --from=build /build/dataplane/wharf-dataplane /build/controller/wharf-controller \
     /build/tests/wharf-demo-backend /usr/local/bin/
COPY deploy/dynamic.yml /etc/wharf/demo.yml
COPY deploy/docker/wharf-demo /usr/local/bin/wharf-demo
# Ports 80 and 443 without root: the capability on the one binary that listens on them. The
# tool that set it goes again.
RUN setcap cap_net_bind_service=+ep /usr/local/bin/wharf-dataplane \
 && DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq libcap2-bin >/dev/null \
 && rm -rf /var/lib/apt/lists/*
USER 65532:65532
EXPOSE 80 443 8082 8083
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s CMD ["wharf-dataplane", "healthcheck"]
CMD ["wharf-demo"]
