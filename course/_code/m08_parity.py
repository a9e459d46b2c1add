import numpy as np

# Group b is targeted by fraudsters: 5 frauds among its 15 payments; group a has none.
group = np.array(["a"] * 10 + ["b"] * 15)
fraud = np.array([0] * 10 + [1] * 5 + [0] * 10, dtype=bool)
declined = fraud.copy()
declined[[0, 15]] = True  # one legitimate payment declined in each group

for g in ("a", "b"):
    mine = group == g
    decline_rate = declined[mine].mean()
    false_decline_rate = declined[mine & ~fraud].mean()
    print(g, round(decline_rate, 2), round(false_decline_rate, 2))
