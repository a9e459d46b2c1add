# Grading worker image: the lab image (same Python, same locked libraries as the learners') plus
# bubblewrap for the sandbox and Dask distributed for `mlops-grade autograde --scheduler`.
# Build the lab image first, then from the repository root:
#   docker build -f docker/lab.Dockerfile -t localhost/mlops-course/lab:dev .
#   docker build -f docker/grader.Dockerfile -t localhost/mlops-course/grader:dev .
# Used by docker/grading-cluster.compose.yaml and docker/grading-cluster.k8s.yaml.
ARG BASE_IMAGE=localhost/mlops-course/lab:dev
FROM ${BASE_IMAGE}
# Workers run as root inside the container: the sandbox needs root to give every notebook its own
# unprivileged uid (graders/sandbox/uids.py); student code never runs as root.
# hadolint ignore=DL3002
USER 0:0
# bubblewrap isolates each notebook; util-linux's setpriv drops it to the slot's unprivileged uid.
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap=0.8.* util-linux=2.38.* \
    && rm -rf /var/lib/apt/lists/*
# Same version as the client that submits the tasks (`pip install 'mlops-course[cluster]'`):
# Dask refuses mismatched versions between client, scheduler and workers.
ARG DISTRIBUTED_VERSION=2026.8.0
RUN pip install --no-cache-dir "distributed==${DISTRIBUTED_VERSION}"
WORKDIR /srv
CMD ["dask", "worker", "--help"]
