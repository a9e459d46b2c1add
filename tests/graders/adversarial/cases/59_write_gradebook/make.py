"""Case 59_write_gradebook: Opens the gradebook (exact path guessed) to raise its scores: not
visible, nothing written.
"""

ATTACK = """
import sqlite3
try:
    db = sqlite3.connect(GRADEBOOK)
    db.execute("CREATE TABLE pwned (x)")
    db.execute("UPDATE grade SET auto_score = 999")
    db.commit()
    print("gradebook written")
except Exception as exc:
    print("blocked", type(exc).__name__, exc)
"""


def make(kit):
    """Wrong answers; a cell writes to the gradebook."""
    kit.wrong()
    kit.insert("mean_center_answer", f"GRADEBOOK = {kit.ctx['gradebook']!r}\n" + ATTACK)
    kit.write()
