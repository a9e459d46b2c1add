def valid_amount(amount: float) -> bool:
    """Reject amounts outside 0-100,000 euros before scoring."""
    return not (amount < 0 or amount > 100_000)


print(valid_amount(50.0), valid_amount(-1.0), valid_amount(float("nan")))
