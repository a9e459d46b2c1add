"""Per-request overhead: the service avoids FastAPI's costly paths on every scoring call."""

from __future__ import annotations

import gc
import inspect

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from reference_impl.serve import deps
from reference_impl.serve.app import create_app
from reference_impl.serve.settings import ServeSettings


def test_no_dependency_overrides_in_production(settings: ServeSettings) -> None:
    """Does the app ship without dependency overrides (any one of them makes FastAPI rebuild
    every route's dependencies on every request)?"""
    assert create_app(settings).dependency_overrides == {}


def test_route_dependencies_skip_the_thread_pool(settings: ServeSettings) -> None:
    """Is every dependency of every route async (a plain `def` costs a thread hop per call)?"""
    app = create_app(settings)

    def calls(dependant: object) -> list[object]:
        found = []
        for sub in getattr(dependant, "dependencies", []):
            found += [sub.call, *calls(sub)]
        return found

    sync = {
        getattr(call, "__name__", repr(call))
        for route in app.routes
        if isinstance(route, APIRoute)
        for call in calls(route.dependant)
        if not inspect.iscoroutinefunction(call)
    }
    assert not sync, sync
    assert inspect.iscoroutinefunction(deps.get_app_settings)


def test_startup_objects_are_frozen_out_of_the_collector(settings: ServeSettings) -> None:
    """After startup, are the long-lived objects frozen (no full-GC pauses walking them), and
    given back to the collector when the app stops? (The default; tests turn it off.)"""
    assert ServeSettings.model_fields["freeze_heap"].default is True
    frozen = settings.model_copy(update={"freeze_heap": True})
    with TestClient(create_app(frozen)) as client:
        assert client.get("/health/ready").status_code == 200
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
    assert settings.freeze_heap is False  # FRAUD_SERVE_FREEZE_HEAP=false (tests' conftest)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health/ready").status_code == 200
        assert gc.get_freeze_count() == 0
