"""Monitoring of the reference fraud system: input drift, delayed-label performance, decisions.

`drift` compares a current window with a reference window (PSI, KS, Jensen-Shannon);
`performance` scores a window once its labels have arrived, with standard errors from
`uncertainty` (a card × terminal bootstrap); `decide` turns both into no action / investigate /
retrain, counting a change only when it exceeds its noise; `replay` streams simulated incidents
through the API; `report` writes the JSON and HTML reports; `job` runs the whole check;
`incidents` and `drill` script the incidents end to end.
"""
