candidate = {"ap": 0.41, "cost_per_day": 1180.0}
champion = {"ap": 0.44, "cost_per_day": 1250.0}

# The group's gate: promote only a candidate that is better on every metric.
worse = [m for m in ("ap", "cost_per_day") if candidate[m] < champion[m]]
print("promote" if not worse else f"blocked by {worse}")
