"""SQL of the gradebook: nbgrader 0.9 tables (so its formgrader can open it) plus ours.

The nbgrader part is what `nbgrader.api.Gradebook` creates (alembic head e43177bfe90b), generated
from nbgrader 0.9.6 and checked by tests/graders/test_gradebook.py when nbgrader is installed.
Our tables (prefix ``mlops_``) hold what nbgrader has no place for: recorded instructor cells,
per-test results, submission status and runs.
"""

NBGRADER_ALEMBIC_HEAD = "e43177bfe90b"

NBGRADER_SCHEMA = """
CREATE TABLE IF NOT EXISTS student (
    id VARCHAR(128) NOT NULL,
    first_name VARCHAR(128),
    last_name VARCHAR(128),
    email VARCHAR(128),
    lms_user_id VARCHAR(128),
    PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS course (
    id VARCHAR(128) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (id)
);
CREATE TABLE IF NOT EXISTS assignment (
    id VARCHAR(32) NOT NULL,
    name VARCHAR(128) NOT NULL,
    duedate DATETIME,
    course_id VARCHAR(128) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (name),
    FOREIGN KEY(course_id) REFERENCES course (id)
);
CREATE TABLE IF NOT EXISTS notebook (
    id VARCHAR(32) NOT NULL,
    name VARCHAR(128) NOT NULL,
    assignment_id VARCHAR(32),
    kernelspec VARCHAR(1024),
    PRIMARY KEY (id),
    UNIQUE (name, assignment_id),
    FOREIGN KEY(assignment_id) REFERENCES assignment (id)
);
CREATE TABLE IF NOT EXISTS submitted_assignment (
    id VARCHAR(32) NOT NULL,
    assignment_id VARCHAR(32),
    student_id VARCHAR(128),
    timestamp DATETIME,
    extension DATETIME,
    PRIMARY KEY (id),
    UNIQUE (assignment_id, student_id),
    FOREIGN KEY(assignment_id) REFERENCES assignment (id),
    FOREIGN KEY(student_id) REFERENCES student (id)
);
CREATE TABLE IF NOT EXISTS base_cell (
    id VARCHAR(32) NOT NULL,
    name VARCHAR(128) NOT NULL,
    notebook_id VARCHAR(32) NOT NULL,
    type VARCHAR(50),
    PRIMARY KEY (id),
    UNIQUE (name, notebook_id, type),
    FOREIGN KEY(notebook_id) REFERENCES notebook (id)
);
CREATE TABLE IF NOT EXISTS source_cell (
    id VARCHAR(32) NOT NULL,
    name VARCHAR(128) NOT NULL,
    cell_type VARCHAR(8) NOT NULL,
    locked BOOLEAN NOT NULL,
    source TEXT,
    checksum VARCHAR(128),
    notebook_id VARCHAR(32),
    PRIMARY KEY (id),
    UNIQUE (name, notebook_id),
    FOREIGN KEY(notebook_id) REFERENCES notebook (id)
);
CREATE TABLE IF NOT EXISTS submitted_notebook (
    id VARCHAR(32) NOT NULL,
    assignment_id VARCHAR(32),
    notebook_id VARCHAR(32),
    flagged BOOLEAN,
    late_submission_penalty FLOAT,
    PRIMARY KEY (id),
    UNIQUE (notebook_id, assignment_id),
    FOREIGN KEY(assignment_id) REFERENCES submitted_assignment (id),
    FOREIGN KEY(notebook_id) REFERENCES notebook (id)
);
CREATE TABLE IF NOT EXISTS grade_cells (
    id VARCHAR(32) NOT NULL,
    max_score FLOAT NOT NULL,
    cell_type VARCHAR(8) NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(id) REFERENCES base_cell (id)
);
CREATE TABLE IF NOT EXISTS solution_cells (
    id VARCHAR(32) NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(id) REFERENCES base_cell (id)
);
CREATE TABLE IF NOT EXISTS task_cells (
    id VARCHAR(32) NOT NULL,
    max_score FLOAT NOT NULL,
    cell_type VARCHAR(8) NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(id) REFERENCES base_cell (id)
);
CREATE TABLE IF NOT EXISTS grade (
    id VARCHAR(32) NOT NULL,
    notebook_id VARCHAR(32),
    cell_id VARCHAR(32),
    auto_score FLOAT,
    manual_score FLOAT,
    extra_credit FLOAT,
    needs_manual_grade BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (cell_id, notebook_id),
    FOREIGN KEY(notebook_id) REFERENCES submitted_notebook (id),
    FOREIGN KEY(cell_id) REFERENCES base_cell (id)
);
CREATE TABLE IF NOT EXISTS comment (
    id VARCHAR(32) NOT NULL,
    notebook_id VARCHAR(32),
    cell_id VARCHAR(32),
    auto_comment TEXT,
    manual_comment TEXT,
    PRIMARY KEY (id),
    UNIQUE (cell_id, notebook_id),
    FOREIGN KEY(notebook_id) REFERENCES submitted_notebook (id),
    FOREIGN KEY(cell_id) REFERENCES base_cell (id)
);
CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL);
"""

OUR_SCHEMA = """
CREATE TABLE IF NOT EXISTS mlops_instructor_cell (
    lab TEXT NOT NULL, notebook TEXT NOT NULL, grade_id TEXT NOT NULL, idx INTEGER NOT NULL,
    cell_type TEXT NOT NULL, source TEXT NOT NULL, released_source TEXT NOT NULL,
    checksum TEXT NOT NULL, released_checksum TEXT NOT NULL, metadata TEXT NOT NULL,
    hidden_tests INTEGER NOT NULL DEFAULT 0, cell_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (lab, notebook, grade_id)
);
CREATE TABLE IF NOT EXISTS mlops_revision (
    lab TEXT NOT NULL, revision INTEGER NOT NULL, reason TEXT NOT NULL, released_at TEXT NOT NULL,
    PRIMARY KEY (lab, revision)
);
CREATE TABLE IF NOT EXISTS mlops_released_cell (
    lab TEXT NOT NULL, revision INTEGER NOT NULL, notebook TEXT NOT NULL, grade_id TEXT NOT NULL,
    released_source TEXT NOT NULL, PRIMARY KEY (lab, revision, notebook, grade_id)
);
CREATE TABLE IF NOT EXISTS mlops_submission (
    student TEXT NOT NULL, lab TEXT NOT NULL, status TEXT NOT NULL, total REAL NOT NULL,
    possible REAL NOT NULL, sandbox TEXT NOT NULL, run_id INTEGER, graded_at TEXT NOT NULL,
    result TEXT NOT NULL, PRIMARY KEY (student, lab)
);
CREATE TABLE IF NOT EXISTS mlops_test_result (
    student TEXT NOT NULL, lab TEXT NOT NULL, notebook TEXT NOT NULL, name TEXT NOT NULL,
    cell TEXT NOT NULL, points REAL NOT NULL, max_points REAL NOT NULL, passed INTEGER NOT NULL,
    hidden INTEGER NOT NULL, message TEXT NOT NULL,
    PRIMARY KEY (student, lab, notebook, name)
);
CREATE TABLE IF NOT EXISTS mlops_run (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, lab TEXT NOT NULL,
    backend TEXT NOT NULL, isolating INTEGER NOT NULL, allow_unsandboxed INTEGER NOT NULL,
    workers INTEGER NOT NULL, tasks INTEGER NOT NULL
);
"""
