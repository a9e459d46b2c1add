"""Scoring service of the reference fraud system: FastAPI app, model bundles, metrics, logs.

``create_app()`` builds the app; ``fraud serve`` (or ``uvicorn --factory``) runs it. The OpenAPI
document the app publishes (``/openapi.json``, ``/docs``) is the contract: every response code of
every route is declared, and a schemathesis suite holds the app to it.

Routes:

* ``POST /v1/score`` — one transaction's 15 features → score (micro-batched with concurrent calls);
* ``POST /v1/score/batch`` — up to 5,000 named-feature objects; ``POST /v1/score/rows`` — up to
  20,000 arrays of the 15 features (bulk scoring);
* ``POST /v1/transactions/score`` — a raw transaction, features from the online state;
  ``POST /v1/labels`` — a delayed fraud label for the online state; their ``/batch`` forms take
  up to 5,000 in order, with the same results as sending them one by one (``fraud replay``);
* ``GET /v1/model``, ``POST /v1/model/reload`` (load → verify → warm up → atomic swap);
* ``GET /health`` (the readiness summary), ``GET /health/live``, ``GET /health/ready``,
  ``GET /metrics`` (Prometheus);
* with a lesion registry configured (``FRAUD_SERVE_LESION_MODELS_DIR``, ``fraud serve
  --lesion-models build/lesion/models``; absent otherwise, from the app and its OpenAPI):
  ``POST /v1/lesion/score`` — one photograph as ``multipart/form-data`` (field ``file``, JPEG or
  PNG) → malignancy probability and decision (``biopsy``, ``refer_to_dermatologist`` inside the
  registered refer band, ``routine``), threshold, model version; ``GET /v1/lesion/model``,
  ``POST /v1/lesion/model/reload`` (the same verified hot swap as the fraud model's). The
  upload is decoded only by ``lesion.upload.decode_upload``; readiness then needs both models.

Statuses (each declared, with its body schema, on every route that can return it): 200; 400 a
body that is not JSON (bad syntax, not UTF-8) or a non-numeric Content-Length; 403 admin token;
409 model refused or transaction time out of range; 413 body over the limit; 415 not
application/json; 422 schema violation, naming the field — or a valid row the model cannot
score because a feature it derives overflows, naming the input that caused it; 503 no model.
The image route: 400 not multipart; 413 over the byte limit (Content-Length or streamed) or a
header declaring too many pixels; 415 not multipart, or not a JPEG/PNG (declared or sniffed);
422 no ``file``, two files, or an unusable image (empty, corrupt, truncated, small, not RGB).

No finite, schema-valid input gets a 500: the model's derived features are safe for every input
the schema accepts (amount ratios count an average below one cent as a cent, so they stay
≤ 10^8), and ``guard`` checks what each preprocessing step computes before the estimator
sees it (a row that still overflows gets the 422, other rows of the batch are scored).
``tests/reference_impl/serve/test_serve_contract.py`` holds the app to the document with
``schemathesis run <url>/openapi.json --checks all`` (seed 26 plus a daily seed; ``make
fuzz-serve`` for a longer run); ``test_serve_lesion_contract.py`` does the same for the image
route with multipart uploads, ``test_serve_lesion.py`` sends it hand-made bad images.

Modules: ``settings`` (FRAUD_SERVE_* variables), ``schemas`` (request/response bodies),
``bundle`` and ``store`` (verified model loading and the swap), ``lesion`` and
``lesion_routes`` (the lesion bundle and its routes), ``guard`` (non-finite derived
features), ``batcher``, ``online``, ``middleware`` (request id, body limit, content type,
metrics, JSON log), ``errors``, ``routes``, ``deps``, ``server`` (uvicorn), ``testing`` (small
bundles for tests and benchmarks).
"""
