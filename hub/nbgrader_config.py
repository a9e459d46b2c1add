"""nbgrader settings shared by a cohort's hub, the lab image and the instructor's course folder.

The lab image installs this file as /etc/jupyter/nbgrader_config.py; the hub's instructors use it
too. `MLOPS_COURSE_ID` and `MLOPS_EXCHANGE` override the defaults (the hub smoke test does).
"""

import os

c = get_config()  # type: ignore[name-defined]  # noqa: F821 -- injected by traitlets

c.CourseDirectory.course_id = os.environ.get("MLOPS_COURSE_ID", "mlops")
# One exchange folder shared by every learner's server (a volume on the hub host, mode 0777).
c.Exchange.root = os.environ.get("MLOPS_EXCHANGE", "/srv/nbgrader/exchange")
# Where `fetch` puts a lab and `submit` reads it: the learner's home (default: the server's cwd).
if "MLOPS_ASSIGNMENT_DIR" in os.environ:
    c.Exchange.assignment_dir = os.environ["MLOPS_ASSIGNMENT_DIR"]
