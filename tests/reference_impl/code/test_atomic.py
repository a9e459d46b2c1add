"""A folder is written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from reference_impl.atomic import atomic_directory


def test_success_replaces_the_old_folder_whole(tmp_path: Path) -> None:
    """After a successful write, does the folder hold only the new files, with no temp left?"""
    out = tmp_path / "dataset"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with atomic_directory(out, mode=0o755) as tmp:
        (tmp / "new.txt").write_text("new")
        assert not (out / "new.txt").exists()  # nothing visible until the end
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert out.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]


def test_failure_leaves_the_old_folder_untouched(tmp_path: Path) -> None:
    """When writing fails half-way, is the previous folder intact and the temp folder gone?"""
    out = tmp_path / "model"
    out.mkdir()
    (out / "model.skops").write_text("v1")
    with pytest.raises(RuntimeError), atomic_directory(out) as tmp:
        (tmp / "model.skops").write_text("half")
        raise RuntimeError("disk full")
    assert (out / "model.skops").read_text() == "v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
