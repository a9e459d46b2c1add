"""A tutorial-style FastAPI + scikit-learn service: the baseline `serving_load.py` compares against.

Written the way most tutorials do it (on purpose): model loaded at import from a path in an
environment variable, a sync endpoint, a one-row DataFrame per request, default error handling.
Lives in benchmarks/apps/ so that `make bench` (benchmarks/*.py) does not run it as a script.
Run: BASELINE_MODEL=build/models/v001/model.joblib uvicorn benchmarks.apps.baseline_app:app
"""

from __future__ import annotations

import os

import joblib
import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel

model = joblib.load(os.environ["BASELINE_MODEL"])
app = FastAPI()


class Transaction(BaseModel):
    TX_AMOUNT: float
    TX_DURING_WEEKEND: int
    TX_DURING_NIGHT: int
    CUSTOMER_ID_NB_TX_1DAY_WINDOW: int
    CUSTOMER_ID_NB_TX_7DAY_WINDOW: int
    CUSTOMER_ID_NB_TX_30DAY_WINDOW: int
    CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW: float
    CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW: float
    CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW: float
    TERMINAL_ID_NB_TX_1DAY_WINDOW: int
    TERMINAL_ID_NB_TX_7DAY_WINDOW: int
    TERMINAL_ID_NB_TX_30DAY_WINDOW: int
    TERMINAL_ID_RISK_1DAY_WINDOW: float
    TERMINAL_ID_RISK_7DAY_WINDOW: float
    TERMINAL_ID_RISK_30DAY_WINDOW: float


@app.post("/predict")
def predict(tx: Transaction) -> dict[str, float]:
    X = pd.DataFrame([tx.model_dump()])  # noqa: N806
    return {"fraud_probability": float(model.predict_proba(X)[0, 1])}


@app.post("/predict_batch")
def predict_batch(txs: list[Transaction]) -> dict[str, list[float]]:
    X = pd.DataFrame([tx.model_dump() for tx in txs])  # noqa: N806
    return {"scores": model.predict_proba(X)[:, 1].tolist()}
