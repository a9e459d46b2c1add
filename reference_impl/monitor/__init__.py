"""Monitoring of the reference fraud system: input drift, delayed-label performance, decisions.

`drift` compares a current window with a reference window (PSI, KS, Jensen-Shannon);
`performance` scores a window once its labels have arrived; `decide` turns both into
no action / investigate / retrain; `replay` streams simulated incidents through the API;
`report` writes the JSON and HTML reports; `job` runs the whole check.
"""
