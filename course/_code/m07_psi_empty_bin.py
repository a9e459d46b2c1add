import math


def psi(reference: list[float], current: list[float]) -> float:
    """Population stability index over bins given as shares (each list sums to 1)."""
    return sum((c - r) * math.log(c / r) for r, c in zip(reference, current, strict=True))


for current in ([0.6, 0.4], [1.0, 0.0]):
    try:
        print(round(psi([0.5, 0.5], current), 3))
    except ValueError as exc:
        print("ValueError:", exc)
