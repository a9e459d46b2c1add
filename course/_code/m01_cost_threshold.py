COST_MISSED_FRAUD = 120.0  # euros lost when a fraud is approved
COST_ALERT = 5.0  # an investigator's time to check one alert


def raise_alert(p_fraud: float) -> bool:
    return p_fraud * COST_MISSED_FRAUD > COST_ALERT


for p in (0.01, 0.05, 0.5):
    print(p, raise_alert(p))
