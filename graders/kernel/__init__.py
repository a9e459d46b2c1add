"""The student-side driver and the trusted side's view of it.

`driver` and `encode` run INSIDE the sandbox and import nothing from the rest of `graders`;
`decode`, `client` and `proxies` run in the trusted grading worker.
"""
