"""Live production drill of a group's service: build it, start it on 127.0.0.1, replay its own
recent traffic with four incidents, score availability, latency, the KPI on delayed labels and
whether the group's monitor raised the incident in time. Bounded in time and requests.

Commands are the group's, with placeholders: `{python}` (this interpreter), `{package}` (from
`.copier-answers.yml`), `{port}` (a free port), `{window}` (a CSV of one window's inputs, for the
monitor). The defaults fit a project made from the template.
"""

from __future__ import annotations

# Default commands, for a project made from the template (light: the CLI imports them).
BUILD = "{python} -m {package} all"
SERVE = "{python} -m uvicorn {package}.serve:app --host 127.0.0.1 --port {port}"
MONITOR = "{python} -m {package} monitor --current {window}"
