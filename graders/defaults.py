"""The grading limits' defaults, defined once: the sandbox's `Limits`, the typed settings
(`GraderSettings`, `GradeConfig`) and the CLI's help text all read them from here."""

CELL_TIMEOUT_S = 30.0  # per cell, and per call a test makes into the student's code
WALL_TIME_S = 600.0  # one notebook's process
MEMORY_MB = 2048  # address space of the student's process
MAX_PROCS = 64  # processes of the sandbox's uid
MAX_FILE_MB = 100  # largest file the student's code may write
MAX_OUTPUT_BYTES = 1 << 20  # captured output kept per cell
MAX_NOTEBOOK_MB = 20.0  # larger submitted notebooks are refused
MAX_COPYBACK_FILES = 2000  # files and folders kept in autograded/ per submission
MAX_COPYBACK_MB = 100  # bytes kept in autograded/ per submission (apparent size)
SCORER_MEMORY_MB = 2048  # what the scoring process may add to what the worker maps
STALL_TIMEOUT_S = 300.0  # a cluster run in which no worker can grade stops after this long
