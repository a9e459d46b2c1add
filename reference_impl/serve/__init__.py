"""Scoring service of the reference fraud system: FastAPI app, model bundles, metrics, logs.

``create_app()`` builds the app; ``fraud serve`` (or ``uvicorn --factory``) runs it. The OpenAPI
document the app publishes (``/openapi.json``, ``/docs``) is the contract: every response code of
every route is declared, and a schemathesis suite holds the app to it.

Routes:

* ``POST /v1/score`` — one transaction's 15 features → score (micro-batched with concurrent calls);
* ``POST /v1/score/batch`` — up to 5,000 named-feature objects; ``POST /v1/score/rows`` — up to
  20,000 arrays of the 15 features (bulk scoring);
* ``POST /v1/transactions/score`` — a raw transaction, features from the online state;
  ``POST /v1/labels`` — a delayed fraud label for the online state;
* ``GET /v1/model``, ``POST /v1/model/reload`` (load → verify → warm up → atomic swap);
* ``GET /health/live``, ``GET /health/ready``, ``GET /metrics`` (Prometheus).

Modules: ``settings`` (FRAUD_SERVE_* variables), ``schemas`` (request/response bodies),
``bundle`` and ``store`` (verified model loading and the swap), ``batcher``, ``online``,
``middleware`` (request id, body limit, content type, metrics, JSON log), ``errors``, ``routes``,
``deps``, ``server`` (uvicorn), ``testing`` (small bundles for tests and benchmarks).
"""
