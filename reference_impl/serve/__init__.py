"""Scoring service of the reference fraud system: FastAPI app, model bundles, metrics, logs.

``create_app()`` builds the app; ``uvicorn`` (or ``fraud serve``) runs it. The OpenAPI document the
app publishes is the contract: every response code of every route is declared.
"""
