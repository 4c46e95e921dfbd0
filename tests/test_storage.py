from __future__ import annotations

import threading
from pathlib import Path

import pytest

from etl_core.stores.objects.base import LocalObjectStore, ObjectNotFoundError, UnsafeKeyError


@pytest.mark.parametrize(
    "key", ["../x", "/etc/passwd", "a/../../x", "a/./b", "", "a//b", "dir/", "a\\b", "a\x00b"]
)
def test_keys_that_escape_the_root_are_refused(tmp_path: Path, key: str) -> None:
    store = LocalObjectStore(tmp_path / "root")
    with pytest.raises(UnsafeKeyError):
        store.put(key, b"x")
    assert not (tmp_path / "x").exists()


def test_symlink_out_of_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafeKeyError):
        LocalObjectStore(root).put("link/escaped", b"x")


def test_put_get_list_and_if_absent(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    assert store.put("a/b/c.json", b"1")
    assert not store.put("a/b/c.json", b"2", if_absent=True)
    assert store.get("a/b/c.json") == b"1"
    store.put("a/b/c.json", b"3")
    assert store.get("a/b/c.json") == b"3"
    store.put("a/d.json", b"4")
    assert list(store.list("a/")) == ["a/b/c.json", "a/d.json"]
    with pytest.raises(ObjectNotFoundError):
        store.get("missing")


def test_if_absent_has_exactly_one_winner_across_threads(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def write(n: int) -> None:
        barrier.wait()
        results.append(store.put("race/key.json", str(n).encode(), if_absent=True))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    assert list(store.list("race/")) == ["race/key.json"]
