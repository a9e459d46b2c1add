"""Prometheus metrics of one app instance (own registry, so tests and reloads never collide)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
SCORE_BUCKETS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)


@dataclass
class ServiceMetrics:
    """Request count and latency per route, score distribution, batch sizes, model version."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "fraud_requests", "HTTP requests", ["route", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "fraud_request_seconds",
            "Request latency",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.scores = Histogram("fraud_score", "Scores returned", buckets=SCORE_BUCKETS, registry=r)
        self.alerts = Counter(
            "fraud_alerts", "Transactions scored at or above the threshold", registry=r
        )
        self.model_calls = Histogram(
            "fraud_model_batch_rows",
            "Rows per model call (micro-batches and batch requests)",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096),
            registry=r,
        )
        self.model_info = Gauge(
            "fraud_model_info", "1 for the model version serving now", ["version"], registry=r
        )
        self.swaps = Counter("fraud_model_swaps", "Model swaps", ["outcome"], registry=r)

    def set_model(self, version: str) -> None:
        self.model_info.clear()
        self.model_info.labels(version=version).set(1)

    def add_lesion(self) -> LesionMetrics:
        """The lesion route's metrics, in the same registry (only when that route is served)."""
        self.lesion = LesionMetrics(self.registry)
        return self.lesion


class LesionMetrics:
    """Probabilities and decisions of the lesion route, refusals by status, model version."""

    def __init__(self, r: CollectorRegistry) -> None:
        self.scores = Histogram(
            "lesion_probability",
            "Malignancy probabilities returned",
            buckets=SCORE_BUCKETS,
            registry=r,
        )
        self.decisions = Counter("lesion_decisions", "Decisions returned", ["decision"], registry=r)
        self.refusals = Counter(
            "lesion_upload_refusals", "Uploads refused, by status", ["status"], registry=r
        )
        self.model_info = Gauge(
            "lesion_model_info",
            "1 for the lesion model version serving now",
            ["version"],
            registry=r,
        )

    def set_model(self, version: str) -> None:
        self.model_info.clear()
        self.model_info.labels(version=version).set(1)
