"""The lesion suites' shared data lives one level up (tests/reference_impl/conftest.py), so the
serving suite reuses the same tiny dataset and registered model."""
