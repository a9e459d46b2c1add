# Serving image: the FastAPI fraud-scoring service (`fraud serve`), one uvicorn worker, non-root.
# Build from the repository root:  podman build --format docker -f docker/serve.Dockerfile -t mlops-serve .
# Run with a model registry mounted at /srv/fraud/models (e.g. from `fraud pipeline`).
# `--format docker` keeps the HEALTHCHECK (the OCI image format has no such field).
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}
# --- shared with docker/lab.Dockerfile, line for line (tests/containers checks): one build and
# one pull of these layers serve both images ---------------------------------------------------
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# Build-time only (never in the image): a CI build points pip at a local wheelhouse of the same
# hashed pins (PIP_FIND_LINKS=<dir> PIP_NO_INDEX=1); the defaults leave pip on its index.
ARG PIP_FIND_LINKS=""
ARG PIP_NO_INDEX=0
RUN python3 -m venv "$VIRTUAL_ENV"
COPY docker/serve.lock /opt/serve.lock
RUN pip install --no-deps --require-hashes -r /opt/serve.lock
# --- end of the shared part -------------------------------------------------------------------
COPY pyproject.toml README.md /opt/src/
COPY graders/ /opt/src/graders/
COPY reference_impl/ /opt/src/reference_impl/
COPY cohort/ /opt/src/cohort/
RUN pip install --no-deps --no-build-isolation /opt/src && rm -rf /opt/src \
    && useradd --no-create-home --uid 10001 --user-group --shell /usr/sbin/nologin fraud
ENV FRAUD_ROOT=/srv/fraud \
    FRAUD_SERVE_MODELS_DIR=/srv/fraud/models
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/health/ready', timeout=4)"]
CMD ["fraud", "serve", "--host", "0.0.0.0", "--port", "8080"]
