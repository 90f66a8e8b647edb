# syntax=docker/dockerfile:1
# Every Bassin image, built from the repository root (the context), by target:
#   docker build --target service --build-arg SERVICE=<name> -t bassin-<name>:dev .
#   docker build --target gateway --build-arg PACKAGE=gateway -t bassin-gateway:dev .
#   docker build --target scheduler --build-arg SERVICE=<the service holding it> -t bassin-scheduler:dev .
# A service's image holds bassin_common and that one service (its registry name is also
# its folder, services/SERVICE; a name with _ gets - in the image's name). It runs the
# service (default command), its migration (database, exchange and queues) and the
# dead-letter tool for its own queues:
#   docker run --rm bassin-<name>:dev bassin-migrate <name>
#   docker run --rm bassin-<name>:dev bassin-dead-letters list
# The gateway's image runs the gateway and its migration
# (bassin-migrate gateway --package bassin_gateway); it holds no service.
#
# Conventions every image follows: run as UID/GID 10001, write nothing but /tmp (the root
# filesystem is read-only in compose and Kubernetes), the image's CMD is the component's
# long-running process (one-shot tools are given as the command instead), configuration
# only from BASSIN_* variables, JSON logs on stdout, SIGTERM finishes the work in flight,
# and a HEALTHCHECK on the component's /healthz (python -m bassin_common.probe: no curl).
# HTTP ports: the gateway 8000 (API, UI, /healthz, /readyz); a nameko service 8080
# (/healthz, /readyz, /metrics: bassin_common.observability).

ARG SERVICE=""
ARG PACKAGE=services/${SERVICE}

# Install the packages (not editable) into a virtualenv, with the project's pins.
FROM python:3.11-slim AS build
ARG PACKAGE
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN test "$PACKAGE" != "services/" || (echo "--build-arg SERVICE=<name> (or PACKAGE=gateway) is required" >&2; exit 1)
RUN python -m venv /opt/venv
WORKDIR /src
COPY constraints.txt ./
COPY services/common services/common
COPY ${PACKAGE} ${PACKAGE}
RUN /opt/venv/bin/pip install --constraint constraints.txt ./services/common ./${PACKAGE}

# What every image shares: the virtualenv, a non-root user, nothing used to build.
FROM python:3.11-slim AS runtime
# PSYCOPG_WAIT_FUNC: psycopg's C wait function would block eventlet's hub (bassin_common checks it).
# HOME is /tmp because the root filesystem is read-only where this runs hardened.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PSYCOPG_WAIT_FUNC=wait_select \
    HOME=/tmp
# Pango and a font for WeasyPrint: invoices, tickets, purchase orders, slips and handover
# reports are rendered as PDF by the services (bassin_common.documents).
RUN apt-get update \
 && apt-get install --yes --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 bassin \
 && useradd --system --uid 10001 --gid bassin --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin bassin
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Numeric, so Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 10001:10001

# The HTTP gateway, listening on every interface inside a container (its default is 127.0.0.1).
FROM runtime AS gateway
ENV BASSIN_GATEWAY_HOST=0.0.0.0 \
    BASSIN_GATEWAY_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "bassin_common.probe", "http://127.0.0.1:8000/healthz"]
# eventlet WSGI server; SIGTERM stops accepting and lets requests in flight finish.
CMD ["bassin-gateway"]

# A nameko service. The nameko configuration ships inside bassin_common (nameko.yml).
FROM runtime AS service
ARG SERVICE
ENV BASSIN_SERVICE=${SERVICE} \
    BASSIN_HTTP_HOST=0.0.0.0 \
    BASSIN_HTTP_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bassin_common.probe", "http://127.0.0.1:8080/healthz"]
# exec: bassin-run (nameko) replaces the shell, receives SIGTERM itself, and stops after
# the workers in flight. BASSIN_SERVICE, set above from SERVICE, names the service to run.
CMD ["sh", "-c", "exec bassin-run \"${BASSIN_SERVICE}\""]

# The scheduler (Celery, #25): the worker by default; the beat (exactly one) runs
# celery -A notifications_scheduler.app beat --schedule <a file on a persistent volume>.
FROM runtime AS scheduler
# The beat's schedule lives on a volume mounted here; a new named volume takes the
# ownership of this folder, so the non-root beat can write it.
USER root
RUN mkdir -p /var/lib/bassin-scheduler && chown 10001:10001 /var/lib/bassin-scheduler
USER 10001:10001
# The worker answers a ping over the broker. The beat answers none: compose and
# Kubernetes check it by the age of its schedule file instead (it rewrites it every
# few minutes).
HEALTHCHECK --interval=60s --timeout=20s --start-period=30s --retries=3 \
    CMD celery -A notifications_scheduler.app inspect ping --timeout 10 --destination "celery@$HOSTNAME" || exit 1
CMD ["celery", "-A", "notifications_scheduler.app", "worker", "-l", "info"]
