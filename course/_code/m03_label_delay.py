COMMITTED = {"T1": [2, 6, 9]}  # days on which frauds happened at terminal T1
DELAY = 7  # a fraud is known (labelled) only 7 days after it happened


def frauds_in_window(terminal: str, day: int, window: int = 7, delay: int = 0) -> int:
    last = day - delay
    return sum(last - window < d <= last for d in COMMITTED[terminal])


print(frauds_in_window("T1", 10), frauds_in_window("T1", 10, delay=DELAY))
