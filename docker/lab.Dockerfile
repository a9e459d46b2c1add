# Lab image: JupyterLab + nbgrader's learner extensions, the course packages, the released labs,
# user jovyan (uid 1000), and the jupyterhub-singleuser a cohort hub spawns.
# Build from the repository root:  podman build --format docker -f docker/lab.Dockerfile -t mlops-lab .
# No `# syntax=` line and no BuildKit-only features: plain podman/buildah/docker build it offline.
ARG BASE_IMAGE=python:3.11-slim-bookworm

# --- env: the pinned environment, shared by the release stage and the final image -------------
FROM ${BASE_IMAGE} AS env
# --- shared with docker/serve.Dockerfile, line for line (tests/containers checks): the serving
# environment is a subset of this one, so one build and one pull of these layers serve both ----
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
# Every third-party package comes from the hashed locks (tools/lock.py); nothing else resolves.
# The lab lock holds every serve pin too (same versions, same hashes), so pip adds only the rest.
COPY docker/lab.lock /opt/lab.lock
# --no-build-isolation: the one source-only pin (antlr4-python3-runtime, under dvc) is built with
# the setuptools serve.lock just installed, so an offline build needs nothing outside the locks.
RUN pip install --no-deps --no-build-isolation --require-hashes -r /opt/lab.lock
COPY pyproject.toml README.md /opt/src/
COPY graders/ /opt/src/graders/
COPY reference_impl/ /opt/src/reference_impl/
COPY cohort/ /opt/src/cohort/
RUN pip install --no-deps --no-build-isolation /opt/src && rm -rf /opt/src

# --- release: student versions of the labs (solutions and hidden tests never reach the image) --
FROM env AS release
COPY labs/ /opt/course/source/
# manifest.yml and mutants.yml are instructor files: release would (rightly) refuse to hand them out.
RUN for lab in /opt/course/source/lab*/; do \
        rm -f "$lab/manifest.yml" "$lab/mutants.yml" \
        && mlops-grade release "$(basename "$lab")" --course-dir /opt/course || exit 1; \
    done

# --- final: the learner's image ----------------------------------------------------------------
FROM env
# Learners get the assignment list and validate; instructors use formgrader on the hub's side.
RUN useradd --create-home --uid 1000 --user-group --shell /bin/bash jovyan \
    && jupyter labextension disable --level=sys_prefix @jupyter/nbgrader:formgrader \
    && jupyter labextension disable --level=sys_prefix @jupyter/nbgrader:create-assignment \
    && mkdir -p /srv/nbgrader/exchange && chmod 0777 /srv/nbgrader/exchange
COPY hub/nbgrader_config.py /etc/jupyter/nbgrader_config.py
COPY --from=release --chown=jovyan:jovyan /opt/course/release/ /home/jovyan/labs/
ENV FRAUD_ROOT=/home/jovyan/work/build \
    MPLCONFIGDIR=/tmp/matplotlib \
    SHELL=/bin/bash
USER 1000:1000
WORKDIR /home/jovyan
EXPOSE 8888
# A hub replaces this command with jupyterhub-singleuser (same venv, same port).
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--ServerApp.root_dir=/home/jovyan"]
