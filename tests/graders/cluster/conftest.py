"""The live Dask cluster these tests grade on is the session's `dask_cluster`
(tests/graders/conftest.py): the adversarial suite's cluster run uses the same one."""
