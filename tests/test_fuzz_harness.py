"""The atheris harness (tests/fuzz/atheris_decode.py) runs in every test run on its seed corpus
and a few fixed mutations of it, so that it cannot rot; atheris itself is not needed here."""

from __future__ import annotations

import random

import pytest

from tests.fuzz.atheris_decode import check_input, seed_corpus

SEEDS = list(seed_corpus())


def test_the_seed_corpus_is_the_synthetic_samples() -> None:
    names = [name for name, _ in SEEDS]
    assert len(names) == 6 * 4
    assert all(name.split("_", 1)[0].endswith("Record") for name in names)


@pytest.mark.parametrize(("name", "data"), SEEDS, ids=[name for name, _ in SEEDS])
def test_every_seed_decodes_and_passes_validation(name: str, data: bytes) -> None:
    assert check_input(data, name) == "passed"


@pytest.mark.parametrize(("name", "data"), SEEDS, ids=[name for name, _ in SEEDS])
def test_mutated_seeds_are_refused_or_judged_never_raise(name: str, data: bytes) -> None:
    chooser = random.Random(name)
    for _ in range(40):
        damaged = bytearray(data)
        for _ in range(chooser.randint(1, 6)):
            damaged[chooser.randrange(len(damaged))] ^= 1 << chooser.randrange(8)
        verdict = check_input(bytes(damaged[: chooser.randint(1, len(damaged))]), name)
        assert verdict in ("passed", "failed") or verdict.startswith("refused: ")
