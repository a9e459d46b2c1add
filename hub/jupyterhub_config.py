"""JupyterHub for one cohort: learners get the lab image (or a local process), nbgrader's exchange.

    MLOPS_HUB_SPAWNER=docker jupyterhub -f hub/jupyterhub_config.py  # a lab container per learner
    MLOPS_HUB_SPAWNER=local  jupyterhub -f hub/jupyterhub_config.py  # a process per learner

Environment (all optional):
    MLOPS_HUB_SPAWNER      docker (default), local (system users) or simple (tests, one-user demos)
    MLOPS_HUB_AUTH         native (default: sign-up approved by an admin) or dummy (tests only)
    MLOPS_HUB_IP           interface the proxy binds (default 127.0.0.1; put TLS in front)
    MLOPS_HUB_PORT         default 8000 (the hub's API and the proxy's API: MLOPS_HUB_API_PORT,
                           MLOPS_PROXY_API_PORT, default 8081 and 8001)
    MLOPS_HUB_STATE        folder for the hub's database and cookie secret (default /srv/jupyterhub)
    MLOPS_COHORT_FILE      YAML with `instructors:` and `learners:` lists (hub/cohort.example.yml)
    MLOPS_EXCHANGE         nbgrader exchange folder shared by all (default /srv/nbgrader/exchange)
    MLOPS_LAB_IMAGE        the lab image for DockerSpawner (default localhost/mlops-course/lab:dev)
    MLOPS_HUB_NETWORK      DockerSpawner's network (default mlops-hub) and MLOPS_HUB_CONNECT_IP, its
                           gateway address where the hub's API listens (default 172.30.0.1)
    MLOPS_HUB_ROOT_OK      1 = learner servers may run as root (local spawner in a CI container)

See course/instructors/hub.md for the cohort workflow (release, collect, autograde, feedback).
"""

import os
from pathlib import Path

import yaml

c = get_config()  # type: ignore[name-defined]  # noqa: F821 -- injected by traitlets

env = os.environ.get
state = Path(env("MLOPS_HUB_STATE", "/srv/jupyterhub"))
exchange = env("MLOPS_EXCHANGE", "/srv/nbgrader/exchange")

# --- the hub ---------------------------------------------------------------------------------
c.JupyterHub.ip = env("MLOPS_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(env("MLOPS_HUB_PORT", "8000"))
c.JupyterHub.hub_port = int(env("MLOPS_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env('MLOPS_PROXY_API_PORT', '8001')}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
c.JupyterHub.cleanup_servers = True
# Stop idle learner servers from the admin panel (or a culler service); keep each one small.
c.Spawner.mem_limit = env("MLOPS_LAB_MEM", "2G")
c.Spawner.default_url = "/lab"
c.Spawner.environment = {"MLOPS_EXCHANGE": exchange}
if env("MLOPS_HUB_ROOT_OK") == "1":
    c.Spawner.args = ["--allow-root"]

# --- who is in the cohort -------------------------------------------------------------------
cohort_file = env("MLOPS_COHORT_FILE")
cohort = yaml.safe_load(Path(cohort_file).read_text()) if cohort_file else {}
instructors = set(cohort.get("instructors", []))
learners = set(cohort.get("learners", []))
c.Authenticator.admin_users = instructors
c.Authenticator.allowed_users = instructors | learners
c.JupyterHub.load_groups = {
    "instructors": {"users": sorted(instructors)},
    "learners": {"users": sorted(learners)},
}

if env("MLOPS_HUB_AUTH", "native") == "dummy":
    # Tests only: any password is accepted for the allowed users.
    c.JupyterHub.authenticator_class = "dummy"
else:
    c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
    c.NativeAuthenticator.open_signup = False  # an instructor approves each learner

# --- where learner servers run --------------------------------------------------------------
if env("MLOPS_HUB_SPAWNER", "docker") == "docker":
    # One container per learner from the lab image (user jovyan; nbgrader takes the learner's
    # name from JUPYTERHUB_USER). The exchange is one host folder mounted into every container.
    c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
    c.DockerSpawner.image = env("MLOPS_LAB_IMAGE", "localhost/mlops-course/lab:dev")
    c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
    c.DockerSpawner.network_name = env("MLOPS_HUB_NETWORK", "mlops-hub")
    c.DockerSpawner.remove = True  # the learner's files live in the volume below, not the container
    c.DockerSpawner.notebook_dir = "/home/jovyan"
    c.DockerSpawner.volumes = {
        "mlops-lab-{username}": "/home/jovyan",
        exchange: {"bind": "/srv/nbgrader/exchange", "mode": "rw"},
    }
    c.DockerSpawner.environment = {"MLOPS_EXCHANGE": "/srv/nbgrader/exchange"}
    # The hub runs on the host; its API listens on the network's gateway address only, where the
    # learner containers reach it (docker network create --subnet 172.30.0.0/24
    # --gateway 172.30.0.1 mlops-hub). The proxy reaches each container at its network address.
    c.JupyterHub.hub_ip = env("MLOPS_HUB_CONNECT_IP", "172.30.0.1")
    c.JupyterHub.hub_connect_ip = env("MLOPS_HUB_CONNECT_IP", "172.30.0.1")
    c.DockerSpawner.use_internal_ip = True
elif env("MLOPS_HUB_SPAWNER") == "local":
    # One process per learner on this machine, run as the system user of the same name (create
    # the accounts first): nbgrader names a submission after the system user. The hub runs as root.
    c.JupyterHub.spawner_class = "localprocess"
    c.Spawner.notebook_dir = "~"
else:
    # "simple": every learner's server runs as the hub's own user, in a home below MLOPS_HUB_HOMES.
    # For tests and one-person demos only: nbgrader sees one system user for everybody.
    c.JupyterHub.spawner_class = "simple"
    homes = env("MLOPS_HUB_HOMES", str(state / "homes"))
    c.SimpleLocalProcessSpawner.home_dir_template = f"{homes}/{{username}}"
