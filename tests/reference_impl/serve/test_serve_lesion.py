"""The lesion image route, in process, with the tiny registered lesion model (session fixture).

A good photograph scores what the offline pipeline scores (training/serving parity); every bad
upload a malicious or careless client can send gets the 4xx naming its problem, never a 5xx and
never its own bytes back, and the service stays healthy after all of them.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reference_impl import registry
from reference_impl.lesion.config import LesionSettings
from reference_impl.serve.app import create_app
from reference_impl.serve.settings import ServeSettings
from reference_impl.serve.testing import write_bundle

ROUTE = "/v1/lesion/score"


@pytest.fixture(scope="module")
def fraud_models(tmp_path_factory: pytest.TempPathFactory, demo_model: Any) -> Path:
    models = tmp_path_factory.mktemp("fraud_models")
    write_bundle(models, "v1", demo_model)
    return models


@pytest.fixture(scope="module")
def client(fraud_models: Path, lesion_registered: LesionSettings) -> Iterator[TestClient]:
    settings = ServeSettings(
        models_dir=fraud_models,
        lesion_models_dir=lesion_registered.models_dir,
        log_requests=False,
        log_level="ERROR",
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def offline(lesion_registered: LesionSettings) -> pd.DataFrame:
    """The offline pipeline's probability of every image: features.parquet → registered model."""
    model, meta = registry.load_registered(lesion_registered.models_dir / "v001")
    frame = pd.read_parquet(lesion_registered.features_dir / "features.parquet")
    frame["p"] = model.predict_proba(frame[meta["features"]])[:, 1]
    return frame.set_index("image_id")


def _image(raw: Path, image_id: str) -> bytes:
    return (raw / "images" / f"{image_id}.jpg").read_bytes()


@pytest.fixture(scope="module")
def photo(lesion_registered: LesionSettings, offline: pd.DataFrame) -> bytes:
    """A generated photograph the route accepts (random pixels are refused: not a lesion)."""
    return _image(lesion_registered.raw_dir, str(offline.index[0]))


def _post(
    client: TestClient, data: bytes, ctype: str | None = "image/jpeg", name: str = "x.jpg"
) -> Any:
    part = (name, data) if ctype is None else (name, data, ctype)
    return client.post(ROUTE, files={"file": part})


def test_a_photograph_scores_as_the_offline_pipeline_scores_it(
    client: TestClient, offline: pd.DataFrame, lesion_registered: LesionSettings
) -> None:
    """Training/serving parity: the same file, the same probability, and the decision of the
    registered operating point (biopsy / refer band / routine), with the model version."""
    meta = client.get("/v1/lesion/model").json()
    threshold, band = meta["threshold"], meta["refer_band"]
    assert band is not None and band["low"] <= threshold <= band["high"]
    p = offline["p"]
    picks = {
        "biopsy": p[p > band["high"]].idxmax(),
        "routine": p[p < band["low"]].idxmin(),
        "refer_to_dermatologist": p[(p >= band["low"]) & (p <= band["high"])].index[0],
    }
    for decision, image_id in picks.items():
        res = _post(client, _image(lesion_registered.raw_dir, str(image_id)))
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["probability"] == pytest.approx(p[image_id], abs=1e-12)
        assert body["decision"] == decision
        assert body["model_version"] == "v001" and body["threshold"] == threshold


def _png(width: int, height: int, *, bit_depth: int = 8, colour: int = 2) -> bytes:
    """A PNG of zeros written row by row (a bomb is cheap to make: it compresses ~1000:1)."""
    channels = {0: 1, 2: 3}[colour]
    row = b"\x00" + bytes((width * channels * bit_depth + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _pil(image: Image.Image, fmt: str, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def _rgb(size: int = 96) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8))


def _exif_rotated(photo: bytes) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    return _pil(Image.open(io.BytesIO(photo)), "JPEG", exif=exif)


# (case, bytes, declared part type, status, what the message names)
BAD_UPLOADS: list[tuple[str, Any, str | None, int, str]] = [
    ("bomb-10000x10000-png", lambda: _png(10_000, 10_000, bit_depth=1, colour=0), "image/png", 413,
     "10000×10000 pixels: the limit is 4096 per side"),
    ("bomb-20000x20000-header", lambda: _png(20_000, 20_000, bit_depth=1, colour=0), "image/png",
     413, "decompression bomb"),
    ("jpeg-declared-png", lambda: _pil(_rgb(), "JPEG"), "image/png", 415,
     "declared image/png, but the bytes are JPEG"),
    ("gif", lambda: _pil(_rgb(), "GIF"), "image/gif", 415, "send image/jpeg or image/png"),
    ("gif-declared-jpeg", lambda: _pil(_rgb(), "GIF"), "image/jpeg", 415,
     "declared image/jpeg, but the bytes are not a JPEG or PNG"),
    ("png-html-polyglot", lambda: b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>",
     "image/png", 422, "corrupt PNG header"),
    ("html-declared-jpeg", lambda: b"<html><script>alert(1)</script></html>", "image/jpeg", 415,
     "not a JPEG or PNG"),
    ("png-16-bit-grey", lambda: _pil(Image.new("I;16", (96, 96)), "PNG"), "image/png", 422,
     "colour mode I;16"),
    ("jpeg-cmyk", lambda: _pil(_rgb().convert("CMYK"), "JPEG"), "image/jpeg", 422,
     "colour mode CMYK"),
    ("png-palette", lambda: _pil(_rgb().convert("P"), "PNG"), "image/png", 422, "colour mode P"),
    ("png-alpha", lambda: _pil(_rgb().convert("RGBA"), "PNG"), "image/png", 422,
     "colour mode RGBA"),
    ("jpeg-grey", lambda: _pil(_rgb().convert("L"), "JPEG"), "image/jpeg", 422, "colour mode L"),
    ("jpeg-truncated", lambda: _pil(_rgb(), "JPEG")[:600], "image/jpeg", 422, "corrupt JPEG"),
    ("jpeg-too-small", lambda: _pil(_rgb(32), "JPEG"), "image/jpeg", 422,
     "32×32 pixels: at least 64 per side"),
    ("empty", lambda: b"", "image/jpeg", 422, "the file is empty"),
    ("octet-stream", lambda: _pil(_rgb(), "JPEG"), "application/octet-stream", 415,
     "content type 'application/octet-stream': send image/jpeg or image/png"),
    ("over-the-byte-limit", lambda: b"\xff\xd8\xff" + bytes(2_000_100), "image/jpeg", 413,
     "the limit is 2,000,000"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "ctype", "status", "named"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_UPLOADS],
)
def test_bad_uploads_get_the_4xx_naming_the_problem(
    client: TestClient, data: Any, ctype: str | None, status: int, named: str
) -> None:
    """Each hand-made bad image: its status, a one-line detail naming the problem, no echo."""
    payload = data()
    res = _post(client, payload, ctype)
    assert res.status_code == status, res.text
    detail = res.json()["detail"]
    assert named in detail and detail.startswith("file: ") and "\n" not in detail
    assert b"<script>" not in res.content and len(res.content) < 1000


def test_form_level_mistakes_are_named(
    client: TestClient, lesion_registered: LesionSettings
) -> None:
    """No file field, two files, a text field, not multipart, broken multipart, a lying or
    absent Content-Length: each its 4xx with a reason."""
    jpeg = _pil(_rgb(), "JPEG")
    res = client.post(ROUTE, files={"photo": ("x.jpg", jpeg, "image/jpeg")})
    assert res.status_code == 422 and res.json()["detail"] == "file: Field required"
    two = [("file", ("a.jpg", jpeg, "image/jpeg")), ("file", ("b.jpg", jpeg, "image/jpeg"))]
    res = client.post(ROUTE, files=two)
    assert res.status_code == 422 and "exactly one file, got 2" in res.json()["detail"]
    res = client.post(ROUTE, files={"file": ("a.jpg", jpeg, "image/jpeg"), "b": ("b.jpg", jpeg)})
    assert res.status_code == 422 and "got 2" in res.json()["detail"]
    res = client.post(
        ROUTE, data={"file": "not a file"}, files={"x": ("x.txt", b"abc", "text/plain")}
    )
    assert res.status_code == 422 and res.json()["detail"].startswith("file: ")
    res = client.post(ROUTE, json={"file": "aGVsbG8="})
    assert res.status_code == 415 and "multipart/form-data" in res.json()["detail"]
    broken = {"content-type": "multipart/form-data; boundary=xyz"}
    res = client.post(ROUTE, content=b"garbage", headers=broken)
    assert res.status_code == 400 and res.json()["detail"] == "Invalid multipart data."
    no_boundary = {"content-type": "multipart/form-data"}
    res = client.post(ROUTE, content=b"garbage", headers=no_boundary)
    assert res.status_code == 400 and res.json()["detail"] == "Missing boundary in multipart."
    no_type = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
    res = client.post(ROUTE, content=no_type + jpeg + b"\r\n--xyz--\r\n", headers=broken)
    assert res.status_code == 415 and "content type 'missing'" in res.json()["detail"]
    res = client.post(ROUTE, content=b"", headers={**broken, "content-length": "10000000000"})
    assert res.status_code == 413 and "larger than" in res.json()["detail"]

    def stream() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
        yield b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff"
        for _ in range(40):
            yield bytes(100_000)

    res = client.post(ROUTE, content=stream(), headers=broken)
    assert res.status_code == 413 and "larger than 2065536 bytes" in res.json()["detail"]


def test_decoded_like_training_extension_exif_and_trailing_bytes(
    client: TestClient, lesion_registered: LesionSettings, offline: pd.DataFrame
) -> None:
    """What is *not* refused, on purpose: the file name is not trusted (bytes and declared type
    decide), an EXIF orientation is ignored as the training loader ignores it, and bytes after
    the JPEG's end (a JPEG+ZIP polyglot) are never decoded, stored or returned."""
    from reference_impl.lesion.data import read_image
    from reference_impl.lesion.features import ABCDFeatures

    image_id = str(offline.index[0])
    jpeg = _image(lesion_registered.raw_dir, image_id)
    named_png = _post(client, jpeg, "image/jpeg", name="lesion.png")
    polyglot = _post(client, jpeg + b"PK\x03\x04" + bytes(200), "image/jpeg")
    for res in (named_png, polyglot):
        assert res.status_code == 200 and res.json()["probability"] == pytest.approx(
            offline["p"][image_id], abs=1e-12
        )
    rotated = _exif_rotated(jpeg)
    model, meta = registry.load_registered(lesion_registered.models_dir / "v001")
    row = pd.DataFrame(
        ABCDFeatures().transform(read_image(rotated)[None]), columns=meta["features"]
    )
    res = _post(client, rotated)
    assert res.status_code == 200
    assert res.json()["probability"] == pytest.approx(model.predict_proba(row)[0, 1], abs=1e-12)


def test_still_healthy_and_counted_after_attacks(client: TestClient, photo: bytes) -> None:
    """After a bomb, readiness names both models, the model info names the gate, a photograph
    still scores, and Prometheus counts the lesion route's requests, decisions and refusals."""
    bomb = _png(20_000, 20_000, bit_depth=1, colour=0)
    assert _post(client, bomb, "image/png").status_code == 413
    assert _post(client, _pil(_rgb(), "GIF"), "image/gif").status_code == 415
    assert _post(client, photo).status_code == 200
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["lesion_model_version"] == "v001" and ready.json()["model_version"] == "v1"
    info = client.get("/v1/lesion/model").json()
    assert info["gate"]["passed"] and info["gate"]["floor"] > 0 and info["version"] == "v001"
    assert info["sha256"] and len(info["features"]) == 22
    text = client.get("/metrics").text
    assert 'lesion_upload_refusals_total{status="415"}' in text
    assert "lesion_decisions_total" in text and 'lesion_model_info{version="v001"} 1.0' in text
    assert f'route="{ROUTE}"' in text


def test_lesion_routes_exist_only_with_a_lesion_model_configured(
    fraud_models: Path, tmp_path: Path
) -> None:
    """Fraud-only: no image route in the app or its OpenAPI. Configured but nothing registered:
    not ready, naming the lesion model, and the route answers 503 (not a 500)."""
    only_fraud = create_app(ServeSettings(models_dir=fraud_models, log_requests=False))
    assert not any(p.startswith("/v1/lesion") for p in only_fraud.openapi()["paths"])
    empty = tmp_path / "lesion_models"
    empty.mkdir()
    settings = ServeSettings(
        models_dir=fraud_models, lesion_models_dir=empty, log_requests=False, log_level="CRITICAL"
    )
    with TestClient(create_app(settings)) as test_client:
        ready = test_client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["detail"].startswith("lesion: ")
        res = _post(test_client, _pil(_rgb(), "JPEG"))
        assert res.status_code == 503 and "no model available" in res.json()["detail"]


def test_fraud_serve_refuses_a_lesion_registry_without_a_model(
    fraud_models: Path, tmp_path: Path
) -> None:
    """`fraud serve --lesion-models DIR` checks DIR before serving: exit 1 naming the lesion
    model when nothing is registered there."""
    from typer.testing import CliRunner

    from reference_impl.cli import app

    empty = tmp_path / "lesion_models"
    empty.mkdir()
    args = ["serve", "--models-dir", str(fraud_models), "--lesion-models", str(empty)]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 1
    assert f"error: lesion model: no registered model under {empty} (run `lesion register`)" in (
        done.output
    )


@pytest.mark.parametrize("failure", ["raises", "nan"])
def test_an_image_the_model_cannot_measure_is_a_422(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, failure: str, photo: bytes
) -> None:
    """Should the featurizer or model fail on some decodable photograph (none known), the
    client gets a 422 naming it, not a 500, and the next photograph scores."""
    from reference_impl.serve.lesion import LesionBundle

    def broken(self: LesionBundle, row: np.ndarray) -> float:
        if failure == "raises":
            raise ValueError("Input X contains NaN")
        return float("nan")

    jpeg = photo
    with monkeypatch.context() as patch:
        patch.setattr(LesionBundle, "predict", broken)
        res = _post(client, jpeg)
    assert res.status_code == 422
    assert res.json()["detail"] == "file: no lesion could be measured in this image"
    assert _post(client, jpeg).status_code == 200


def test_lesion_model_hot_swaps_and_refuses_a_tampered_version(
    fraud_models: Path, lesion_registered: LesionSettings, tmp_path: Path, photo: bytes
) -> None:
    """POST /v1/lesion/model/reload swaps in a verified version; a tampered or missing one is a
    409 and the old one keeps serving; the admin token guards it."""
    import json
    import shutil

    models = tmp_path / "lesion_models"
    shutil.copytree(lesion_registered.models_dir, models)
    for version in ("v002", "v003"):
        shutil.copytree(models / "v001", models / version)
        meta = json.loads((models / version / "metadata.json").read_text())
        (models / version / "metadata.json").write_text(json.dumps({**meta, "version": version}))
    with (models / "v003" / "model.skops").open("ab") as handle:
        handle.write(b"\0")
    settings = ServeSettings(
        models_dir=fraud_models,
        lesion_models_dir=models,
        admin_token="secret",
        log_requests=False,
        log_level="CRITICAL",
    )
    admin = {"X-Admin-Token": "secret"}
    reload = "/v1/lesion/model/reload"
    with TestClient(create_app(settings)) as test_client:
        assert test_client.post(reload, json={"version": "v002"}).status_code == 403
        res = test_client.post(reload, json={"version": "v003"}, headers=admin)
        assert res.status_code == 409 and "sha256" in res.json()["detail"]
        res = test_client.post(reload, json={"version": "v999"}, headers=admin)
        assert res.status_code == 409 and "not found" in res.json()["detail"]
        assert _post(test_client, photo).json()["model_version"] == "v001"
        res = test_client.post(reload, json={"version": "v002"}, headers=admin)
        assert res.status_code == 200 and res.json()["version"] == "v002"
        assert _post(test_client, photo).json()["model_version"] == "v002"
        assert test_client.get("/health/ready").json()["lesion_model_version"] == "v002"


def _png_of(pixels: np.ndarray) -> bytes:
    return _pil(Image.fromarray(pixels.astype(np.uint8)), "PNG")


_YY, _XX = np.mgrid[0:96, 0:96]
# (case, image, what the 422 names): none of them is a lesion; each used to get a decision.
NOT_LESIONS: list[tuple[str, Any, str]] = [
    ("pure-noise", lambda: _png_of(np.random.default_rng(1).integers(0, 256, (64, 64, 3))),
     "image unlike the training images: "),
    # Resized to 64 px, noise blurs into a texture whose features are each in range: the
    # distance check refuses their combination.
    *[(f"noise-{size}px-{fmt.lower()}", lambda size=size, fmt=fmt: _pil(Image.fromarray(
        np.random.default_rng(size).integers(0, 256, (size, size, 3), dtype=np.uint8)), fmt),
       "image unlike the training images: ") for size in (96, 300) for fmt in ("PNG", "JPEG")],
    ("flat-skin-colour", lambda: _png_of(np.full((96, 96, 3), (200, 150, 130))),
     "no lesion found in the image"),
    ("photo-like-gradient", lambda: _png_of(np.stack(
        [_XX * 8 // 3, _YY * 8 // 3, (_XX + _YY) * 4 // 3], axis=-1).clip(0, 255)),
     "image unlike the training images: "),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "named"), [pytest.param(*case[1:], id=case[0]) for case in NOT_LESIONS]
)
def test_an_image_that_is_not_a_lesion_is_refused_not_decided(
    client: TestClient, make: Any, named: str
) -> None:
    """Noise, a flat colour and a smooth gradient are valid RGB PNGs the model would score
    (noise once scored 0.54: "biopsy"): a 422 naming the problem instead, and a feature named
    is one of the model's with the interval it was trained on."""
    data = make()
    res = _post(client, data, "image/png" if data.startswith(b"\x89PNG") else "image/jpeg")
    assert res.status_code == 422, res.text
    detail = res.json()["detail"]
    assert detail.startswith(f"file: {named}") and "\n" not in detail and len(detail) < 200
    if "unlike" in named:
        feature = detail.removeprefix(f"file: {named}").split()[0]
        assert feature in client.get("/v1/lesion/model").json()["features"]
        assert " outside [" in detail or "together lie" in detail


def test_held_out_generated_images_are_not_refused(
    lesion_registered: LesionSettings, lesion_model_blocks: dict[str, Any]
) -> None:
    """The false-refusal rate: the held-out patients' images (never seen in training) go
    through the same checks as an upload (`scope.refusal`: lesion found, features in the
    recorded range of the development images, not too far from them together); at most 2 %
    may be refused on the tiny preset (benchmarks/lesion_refusals.py measures more)."""
    from reference_impl.lesion import schemas
    from reference_impl.lesion.data import read_image
    from reference_impl.lesion.params import parse_params
    from reference_impl.lesion.scope import InputRange, refusal
    from reference_impl.lesion.train import holdout

    _, meta = registry.load_registered(lesion_registered.models_dir / "v001")
    accepted = InputRange.from_metadata(meta["input_range"], meta["features"])
    assert accepted.distance is not None
    frame = pd.read_parquet(lesion_registered.features_dir / "features.parquet")
    train = parse_params(lesion_model_blocks).train
    y, groups = frame[schemas.LABEL].to_numpy().astype(int), frame[schemas.PATIENT_ID].to_numpy()
    _, test = holdout(y, groups, test_share=train.test_share, seed=train.random_state)
    held_out = frame.iloc[test]
    refused = [
        image_id
        for image_id, row in zip(
            held_out["image_id"], held_out[meta["features"]].to_numpy(), strict=True
        )
        if refusal(read_image(_image(lesion_registered.raw_dir, image_id)), row, accepted)
    ]
    rate = len(refused) / len(held_out)
    print(f"false refusals: {len(refused)}/{len(held_out)} held-out images ({rate:.1%})")
    assert len(held_out) >= 200 and rate <= 0.02, refused


def test_lesion_serve_serves_the_lesion_model_alone(
    fraud_models: Path, lesion_registered: LesionSettings, photo: bytes, tmp_path: Path
) -> None:
    """`lesion serve` (serve_fraud false): ready on the lesion model alone and naming it, no
    fraud route in the app or its OpenAPI; the fraud-only /health body is unchanged; with
    nothing registered the verb exits 1 naming the lesion model."""
    from typer.testing import CliRunner

    from reference_impl.lesion.cli import app as lesion_cli

    fraud_only = ServeSettings(models_dir=fraud_models, log_requests=False, log_level="ERROR")
    with TestClient(create_app(fraud_only)) as test_client:
        assert test_client.get("/health").content == (
            b'{"status":"ready","model_version":"v1","detail":null}'
        )
    settings = ServeSettings(
        lesion_models_dir=lesion_registered.models_dir,
        serve_fraud=False,
        log_requests=False,
        log_level="ERROR",
    )
    app = create_app(settings)
    paths = set(app.openapi()["paths"])
    assert "/v1/lesion/score" in paths and "/health/ready" in paths
    assert not any(p.startswith(("/v1/score", "/v1/transactions", "/v1/model")) for p in paths)
    with TestClient(app) as test_client:
        for path in ("/health/ready", "/health"):
            res = test_client.get(path)
            assert res.status_code == 200
            assert res.json() == {
                "status": "ready",
                "model_version": None,
                "detail": None,
                "lesion_model_version": "v001",
            }
        assert _post(test_client, photo).json()["model_version"] == "v001"
        assert test_client.post("/v1/score", json={}).status_code == 404
        assert 'lesion_model_info{version="v001"} 1.0' in test_client.get("/metrics").text
    empty = tmp_path / "lesion_models"
    empty.mkdir()
    done = CliRunner().invoke(lesion_cli, ["serve", "--models-dir", str(empty)])
    assert done.exit_code == 1
    assert f"error: lesion model: no registered model under {empty}" in done.output
    with pytest.raises(ValueError, match="nothing to serve"):
        ServeSettings(serve_fraud=False)
