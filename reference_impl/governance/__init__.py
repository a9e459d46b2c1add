"""Governance of a deployed model (module 8): risk, subgroups, local explanations, feedback loops.

- `risk`: an FMEA-style risk table (severity x likelihood, expected cost, residual risk);
- `slices`: metrics per subgroup with cluster-bootstrap intervals, a threshold meeting a floor
  in every subgroup with enough data;
- `local`: exact Shapley values of one decision over feature groups (sums to the score);
- `feedback`: what the bank learns when blocked payments never get a label, and the weights
  that undo the bias when a random share of blocks is investigated.

Global explanations (permutation importance, partial dependence) are `reference_impl.explain`.
Domain-free: the fraud and the lesion systems pass their own columns.
"""
