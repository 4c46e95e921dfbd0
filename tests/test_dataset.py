"""``etl dataset`` end to end: ``etl run`` on the 26 real exports, the project's samples (as two
people with the same data) and a synthetic person's fortnight, then the data set in every
format and file format, loaded with the real ``datasets`` library."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from etl_core.outputs.dataset import (
    COMMON_COLUMNS,
    FILE_FORMATS,
    FORMATS,
    SPLITS,
    SYSTEM_PROMPT,
    Built,
    DatasetOptions,
    Source,
    build_dataset,
    parse_ratios,
    read_examples,
    select_and_split,
    split_of,
)
from etl_core.stores.objects.base import LocalObjectStore
from etl_core.testing import real_samples, run_etl, training_examples, write_synthetic_person

datasets = pytest.importorskip("datasets")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "health-connect"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three outputs: the real exports (one person), the samples run as alice and as bob into
    one folder (identical data, so bob's examples are all near-duplicates of alice's), and a
    synthetic person's ten days in June 2025 (carol)."""
    files = real_samples()
    if len(files) != 26:
        pytest.skip("the 26 real exports (../shared/samples/health-connect) are not here")
    base = tmp_path_factory.mktemp("outputs")
    real = base / "real"
    run_etl(files, real)
    shared = base / "samples"
    run_etl([SAMPLES], shared, "--user-id", "alice")
    run_etl([SAMPLES], shared, "--user-id", "bob")
    person = base / "person"
    exports = write_synthetic_person(base / "person-exports", days=10)
    run_etl(exports, person, "--user-id", "carol")
    return {"real": real, "samples": shared, "person": person}


def local_sources(*folders: Path) -> list[Source]:
    return [Source(LocalObjectStore(folder), "", "a local output folder") for folder in folders]


def all_examples(*folders: Path) -> list[dict[str, Any]]:
    return [example for folder in folders for example in training_examples(folder)]


def mask(text: str) -> str:
    return " ".join(re.sub(r"\d+", "#", text).split())


def three_split_seed(users: set[str], ratios: tuple[float, float, float]) -> str:
    """A seed under which these users fill all three splits (the split is a hash, so some
    seed does; which one is a fact of the hash, fixed for these pseudonyms)."""
    for number in range(1000):
        seed = f"seed-{number}"
        if {split_of(user, seed, ratios) for user in users} == set(SPLITS):
            return seed
    raise AssertionError("no seed puts these users into three splits")


@pytest.fixture(scope="module")
def built(outputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Built:
    folders = list(outputs.values())
    # The users left once near-duplicates are removed (bob's examples all go).
    examples, _, _ = read_examples(local_sources(*folders), "training/")
    rows, _, _, _ = select_and_split(examples, DatasetOptions())
    users = {row["user"] for split in SPLITS for row in rows[split]}
    if len(users) < 3:
        # Core alone: the fallback's notes are one template per record type, so the people's
        # examples are near-duplicates of each other and too few people remain for 3 splits.
        pytest.skip("the fallback's templated notes leave fewer than three people")
    assert len(users) == 3
    ratios = (0.4, 0.3, 0.3)
    seed = three_split_seed(users, ratios)
    out = tmp_path_factory.mktemp("dataset")
    return build_dataset(
        local_sources(*folders), out, DatasetOptions(ratios=ratios, seed=seed), engine_version="t"
    )


def load(folder: Path, config: str, cache: Path) -> Any:
    datasets.disable_progress_bars()
    return datasets.load_dataset(str(folder), config, cache_dir=str(cache))


def card_yaml(folder: Path) -> dict[str, Any]:
    text = (folder / "README.md").read_text(encoding="utf-8")
    header = text.split("---\n", 2)[1]
    return yaml.safe_load(header)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def loaded(built: Built, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Any]:
    cache = tmp_path_factory.mktemp("hf-cache")
    return {
        (file_format, fmt): load(built.out / file_format, fmt, cache)
        for file_format in FILE_FORMATS
        for fmt in FORMATS
    }


# -- loading ----------------------------------------------------------------------------------


def test_every_format_and_split_loads_with_datasets(
    built: Built, loaded: dict[tuple[str, str], Any]
) -> None:
    counts = built.counts()
    assert all(counts[split] > 0 for split in SPLITS), counts
    for (file_format, fmt), data in loaded.items():
        header = card_yaml(built.out / file_format)
        (info,) = [i for i in header["dataset_info"] if i["config_name"] == fmt]
        expected_features = datasets.Features._from_yaml_list(info["features"])
        assert set(data) == set(SPLITS), (file_format, fmt)
        for split in SPLITS:
            assert data[split].num_rows == counts[split], (file_format, fmt, split)
            assert data[split].features == expected_features, (file_format, fmt)
        columns = [name for name, _ in COMMON_COLUMNS]
        assert list(data["train"].features)[-len(columns) :] == columns


def test_one_call_mixes_months_domains_and_record_types(
    outputs: dict[str, Path], loaded: dict[tuple[str, str], Any]
) -> None:
    examples = all_examples(*outputs.values())
    domains = {e["metadata"]["health_domain"] for e in examples}
    record_types = {e["metadata"]["record_type"] for e in examples}
    # With the four clinical plugins installed, four domains and six record types; with core
    # alone, the fallback's one domain.
    assert len(domains) in (1, 4) and len(record_types) == 6
    for data in loaded.values():
        rows = [row for split in SPLITS for row in data[split]]
        assert {row["month"] for row in rows} >= {"2025-06", "2025-09", "2025-10"}
        assert {row["health_domain"] for row in rows} == domains
        assert {row["record_type"] for row in rows} == record_types
        assert all(isinstance(row["quality_score"], float) for row in rows)
        assert all(isinstance(json.loads(row["metadata_json"]), dict) for row in rows)


def test_files_of_separate_builds_load_together_without_the_card(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    """The schema does not depend on the data: files of two builds from different people and
    months load in one plain ``load_dataset`` call, Parquet and JSONL alike, with no card."""
    builds = []
    for name in ("real", "person"):
        build_dataset(local_sources(outputs[name]), tmp_path / name, DatasetOptions())
        builds.append(tmp_path / name)
    datasets.disable_progress_bars()
    for file_format, builder in (("parquet", "parquet"), ("jsonl", "json")):
        for fmt in FORMATS:
            files = sorted(
                str(path) for build in builds for path in (build / file_format / fmt).iterdir()
            )
            data = datasets.load_dataset(
                builder, data_files=files, split="train", cache_dir=str(tmp_path / "cache")
            )
            expected = sum(
                len(path.read_text(encoding="utf-8").splitlines())
                for build in builds
                for path in (build / "jsonl" / fmt).iterdir()
            )
            assert data.num_rows == expected
            assert {row["month"] for row in data} >= {"2025-06", "2025-09"}
            assert data.features["quality_score"].dtype == "float64"
            assert data.features["record_count"].dtype == "int64"
            # Without the card's features, pyarrow's JSON reader takes ISO days for timestamps.
            day = "string" if file_format == "parquet" else "timestamp[s]"
            assert data.features["window_first_day"].dtype == day


def test_chat_rows_have_system_user_assistant_in_order(
    loaded: dict[tuple[str, str], Any],
) -> None:
    for file_format in FILE_FORMATS:
        chat = loaded[(file_format, "chat")]
        alpaca = loaded[(file_format, "alpaca")]
        completion = loaded[(file_format, "prompt-completion")]
        for split in SPLITS:
            by_id = {row["id"]: row for row in alpaca[split]}
            prompts = {row["id"]: row for row in completion[split]}
            assert set(by_id) == {row["id"] for row in chat[split]} == set(prompts)
            for row in chat[split]:
                roles = [message["role"] for message in row["messages"]]
                assert roles == ["system", "user", "assistant"]
                system, user, assistant = (m["content"] for m in row["messages"])
                source = by_id[row["id"]]
                assert system == SYSTEM_PROMPT
                assert user == f"{source['instruction']}\n\n{source['input']}"
                assert assistant == source["output"] != ""
                assert prompts[row["id"]]["prompt"] == user
                assert prompts[row["id"]]["completion"] == assistant


def test_rows_are_the_current_examples_less_duplicates(
    built: Built, outputs: dict[str, Path], loaded: dict[tuple[str, str], Any]
) -> None:
    examples = all_examples(*outputs.values())
    alpaca = loaded[("jsonl", "alpaca")]
    rows = [row for split in SPLITS for row in alpaca[split]]
    kept = {(e["instruction"], e["input"], e["output"]) for e in examples}
    assert all((row["instruction"], row["input"], row["output"]) in kept for row in rows)
    assert built.examples_read == len(examples)
    assert len(rows) == len(examples) - sum(built.duplicates_removed.values())
    for row in rows:
        metadata = json.loads(row["metadata_json"])
        assert not {"processed_at", "correlation_id", "revision", "source_key"} & set(metadata)
        assert "clinical_insights" in metadata


# -- splits -----------------------------------------------------------------------------------


def test_no_user_in_two_splits(built: Built, loaded: dict[tuple[str, str], Any]) -> None:
    assert built.split_by == "user"
    for data in loaded.values():
        users = {split: {row["user"] for row in data[split]} for split in SPLITS}
        assert all(users.values())
        assert not users["train"] & users["validation"]
        assert not users["train"] & users["test"]
        assert not users["validation"] & users["test"]
        for split, members in users.items():
            for user in members:
                assert split_of(user, built.options.seed, built.options.ratios) == split


def test_a_single_user_is_split_by_window_and_the_card_says_so(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    result = build_dataset(
        local_sources(outputs["real"]),
        tmp_path,
        DatasetOptions(file_formats=("jsonl",), formats=("alpaca",), ratios=(0.6, 0.2, 0.2)),
    )
    assert result.split_by == "window"
    windows: dict[str, set[tuple[str, str]]] = {}
    for split in SPLITS:
        windows[split] = set()
        for row in result.rows[split]:
            window = json.loads(row["metadata_json"])["window"]
            windows[split].add((row["record_type"], window["key"]))
    assert all(windows.values()), {s: len(w) for s, w in windows.items()}
    assert not windows["train"] & windows["validation"]
    assert not windows["train"] & windows["test"]
    assert not windows["validation"] & windows["test"]
    card = (tmp_path / "jsonl" / "README.md").read_text(encoding="utf-8")
    assert "**Split by window, not by person**" in card
    assert "not generalisation to new people" in card


def test_the_split_is_deterministic_and_the_build_reproducible(
    outputs: dict[str, Path], built: Built, tmp_path: Path
) -> None:
    again = build_dataset(
        local_sources(*outputs.values()), tmp_path, built.options, engine_version="t"
    )
    assert again.counts() == built.counts()
    for path in built.written:
        relative = path.relative_to(built.out)
        assert (tmp_path / relative).read_bytes() == path.read_bytes(), relative


def test_ratios_are_checked_and_normalised() -> None:
    assert parse_ratios("80,10,10") == pytest.approx((0.8, 0.1, 0.1))
    for bad in ("0.8,0.2", "a,b,c", "-1,1,1", "0,0,0"):
        with pytest.raises(Exception, match="three non-negative shares"):
            parse_ratios(bad)


# -- near-duplicates --------------------------------------------------------------------------


def test_near_duplicates_are_counted_per_record_type(
    built: Built, outputs: dict[str, Path], loaded: dict[tuple[str, str], Any]
) -> None:
    examples = all_examples(*outputs.values())
    seen: Counter[tuple[str, str]] = Counter(
        (e["metadata"]["record_type"], mask(e["output"])) for e in examples
    )
    expected: Counter[str] = Counter()
    for (record_type, _), count in seen.items():
        expected[record_type] += count - 1
    assert built.duplicates_removed == {rt: n for rt, n in sorted(expected.items()) if n}
    # The samples as bob are alice's data again: every one of those examples is a duplicate.
    bob_or_alice = Counter(e["metadata"]["user"] for e in training_examples(outputs["samples"]))
    assert len(bob_or_alice) == 2
    assert sum(expected.values()) >= min(bob_or_alice.values())
    rows = [row for split in SPLITS for row in loaded[("parquet", "alpaca")][split]]
    kept_users = Counter(row["user"] for row in rows)
    assert sum(1 for user in bob_or_alice if user in kept_users) == 1
    masked_outputs = Counter((row["record_type"], mask(row["output"])) for row in rows)
    assert max(masked_outputs.values()) == 1
    card = (built.out / "parquet" / "README.md").read_text(encoding="utf-8")
    assert f"Near-duplicates removed: {sum(expected.values())} " in card


# -- the card ---------------------------------------------------------------------------------


def card_table(card: str, column: str) -> dict[str, list[int]]:
    """The rows of the card's count table headed by ``column``: value -> per-split counts
    and the total."""
    lines = card.splitlines()
    start = lines.index(f"| {column} | train | validation | test | total |")
    table = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        table[cells[0].strip("*")] = [int(cell) for cell in cells[1:]]
    return table


def test_card_counts_match_the_rows(built: Built, loaded: dict[tuple[str, str], Any]) -> None:
    for file_format in FILE_FORMATS:
        folder = built.out / file_format
        card = (folder / "README.md").read_text(encoding="utf-8")
        header = card_yaml(folder)
        assert [c["config_name"] for c in header["configs"]] == list(FORMATS)
        assert header["configs"][0]["default"] is True
        for config in header["configs"]:
            for entry in config["data_files"]:
                assert (folder / entry["path"]).is_file()
        for info in header["dataset_info"]:
            data = loaded[(file_format, info["config_name"])]
            for split in info["splits"]:
                assert split["num_examples"] == data[split["name"]].num_rows
                assert (
                    split["num_bytes"]
                    == (folder / info["config_name"])
                    .joinpath(f"{split['name']}.{file_format}")
                    .stat()
                    .st_size
                )
        data = loaded[(file_format, "chat")]
        for column in ("health_domain", "record_type", "example_kind"):
            table = card_table(card, column)
            for index, split in enumerate(SPLITS):
                counted = Counter(row[column] for row in data[split])
                for value, per_split in table.items():
                    if value == "total":
                        assert per_split[index] == data[split].num_rows
                    else:
                        assert per_split[index] == counted[value], (column, value, split)
                assert set(counted) == set(table) - {"total"}
        users = {row["user"] for split in SPLITS for row in data[split]}
        assert f"Distinct users: {len(users)}." in card
        for text in ("PHI caveat", "HMAC-SHA256", "Source digest", built.source_digest):
            assert text in card
        assert "2025-06, 2025-09, 2025-10" in card


def test_the_card_header_is_what_the_hub_reads(built: Built) -> None:
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs

    for file_format in FILE_FORMATS:
        header = card_yaml(built.out / file_format)
        configs = MetadataConfigs.from_dataset_card_data(header)
        assert set(configs) == set(FORMATS)
        infos = DatasetInfosDict.from_dataset_card_data(header)
        assert set(infos) == set(FORMATS)
        for name, info in infos.items():
            assert info.splits is not None and set(info.splits) == set(SPLITS), name
            for split in SPLITS:
                assert info.splits[split].num_examples == built.counts()[split]
            assert info.features is not None and "metadata_json" in info.features


# -- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["domain", "record_type"])
def test_filters_keep_only_what_was_asked(
    outputs: dict[str, Path], tmp_path: Path, by: str
) -> None:
    examples = all_examples(*outputs.values())
    domains = sorted({e["metadata"]["health_domain"] for e in examples})[:2]
    record_types = ["BloodGlucoseRecord", "SleepSessionRecord"]
    options = DatasetOptions(
        file_formats=("jsonl",),
        domains=frozenset(domains if by == "domain" else ()),
        record_types=frozenset(record_types if by == "record_type" else ()),
        kinds=frozenset({"question", "clinician_summary"}),
        min_quality=0.9,
    )
    result = build_dataset(local_sources(*outputs.values()), tmp_path, options)
    rows = [row for split in SPLITS for row in result.rows[split]]
    wanted = [
        e
        for e in examples
        if (not options.domains or e["metadata"]["health_domain"] in options.domains)
        and (not options.record_types or e["metadata"]["record_type"] in options.record_types)
        and e["metadata"]["example_kind"] in options.kinds
        and e["metadata"]["quality_score"] >= 0.9
    ]
    assert rows
    if by == "domain":
        assert {r["health_domain"] for r in rows} == set(domains)
    else:
        assert {r["record_type"] for r in rows} == set(record_types)
    assert {r["example_kind"] for r in rows} == {e["metadata"]["example_kind"] for e in wanted}
    assert {r["example_kind"] for r in rows} <= options.kinds
    assert min(r["quality_score"] for r in rows) >= 0.9
    assert result.filtered_out == len(examples) - len(wanted)
    assert len(rows) == len(wanted) - sum(result.duplicates_removed.values())


# -- the command ------------------------------------------------------------------------------


def etl(*arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ETL_PSEUDONYM_KEY": "test-pseudonym-key"}
    return subprocess.run(
        [sys.executable, "-m", "etl_core", *arguments],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_etl_dataset_command(outputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "set"
    result = etl(
        "dataset",
        str(outputs["real"]),
        str(outputs["person"]),
        "--out",
        str(out),
        "--format",
        "chat",
        "--file-format",
        "jsonl",
        "--split",
        "0.5,0.25,0.25",
    )
    assert result.returncode == 0, result.stderr
    # Two people with the clinical plugins; core alone's templated notes leave one.
    assert re.search(
        r"^split by (user|window): train \d+, validation \d+, test \d+$", result.stdout, re.M
    )
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        ["jsonl/README.md"]
        + [
            f"jsonl/chat/{split}.jsonl"
            for split in SPLITS
            if re.search(rf"\b{split} [1-9]", result.stdout)
        ]
    )
    lines = (out / "jsonl" / "chat" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert [m["role"] for m in json.loads(lines[0])["messages"]] == ["system", "user", "assistant"]


def test_a_damaged_example_object_is_a_one_line_error(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(outputs["real"] / "training", copy / "training")
    victim = sorted(copy.glob("training/*/*/*/examples/*/r*.jsonl"))[-1]
    victim.write_bytes(victim.read_bytes()[:-40] + b"\n")
    result = etl("dataset", str(copy), "--out", str(tmp_path / "set"))
    assert result.returncode == 1
    relative = victim.relative_to(copy).as_posix()
    assert result.stderr.startswith(f"etl: error: a local output folder: {relative}: line ")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["dataset", "/nonexistent/etl-output", "--out", "{tmp}"], 2, "no such folder"),
        (["dataset", "{real}", "--out", "{tmp}", "--split", "1,2"], 2, "three non-negative"),
        (["dataset", "{tmp}", "--out", "{tmp}/set"], 1, "no training examples under"),
        (
            ["dataset", "{real}", "--out", "{tmp}/set", "--domain", "vital_signs"],
            1,
            "the filters left none",
        ),
    ],
)
def test_etl_dataset_user_errors_are_one_line(
    outputs: dict[str, Path], tmp_path: Path, arguments: list[str], code: int, message: str
) -> None:
    filled = [a.format(tmp=tmp_path, real=outputs["real"]) for a in arguments]
    result = etl(*filled)
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith("etl: error: ") and message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


# -- S3 ---------------------------------------------------------------------------------------


def upload_tree(client: Any, bucket: str, folder: Path, prefix: str = "") -> int:
    count = 0
    for path in sorted((folder / "training").rglob("*")):
        if path.is_file():
            key = prefix + path.relative_to(folder).as_posix()
            client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            count += 1
    return count


@pytest.mark.services
def test_dataset_from_an_s3_prefix_equals_the_local_one(
    moto_server: Any,
    s3_bucket: str,
    outputs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upload_tree(moto_server.client(), s3_bucket, outputs["real"], "team/a/")
    for name, value in {
        "ETL_S3_ENDPOINT_URL": moto_server.endpoint_url,
        "ETL_S3_ACCESS_KEY": "testing",
        "ETL_S3_SECRET_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    result = etl(
        "dataset", f"s3://{s3_bucket}/team/a", "--out", str(tmp_path / "s3"), "--seed", "x"
    )
    assert result.returncode == 0, result.stderr
    local = etl("dataset", str(outputs["real"]), "--out", str(tmp_path / "local"), "--seed", "x")
    assert local.returncode == 0, local.stderr
    for file_format in FILE_FORMATS:
        for fmt in FORMATS:
            for path in sorted((tmp_path / "local" / file_format / fmt).iterdir()):
                twin = tmp_path / "s3" / file_format / fmt / path.name
                assert (
                    hashlib.sha256(twin.read_bytes()).digest()
                    == hashlib.sha256(path.read_bytes()).digest()
                ), path
