"""``etl dataset``: a fine-tuning data set built from an output's training examples.

Contract:

- **Input.** The current examples (the highest revision of every window, every per-upload
  example; :func:`etl_core.outputs.compaction.current_example_keys`) under one or more outputs: a
  local
  folder written by ``etl run --out`` or an S3 prefix ``s3://bucket[/prefix]`` written by the
  workers. Examples are read from the example objects, never from the journals, so a month not
  compacted yet is complete too.
- **Formats.** ``chat`` (a ``messages`` list of system, user and assistant turns: TRL's
  conversational form), ``prompt-completion`` (``prompt``/``completion`` strings) and ``alpaca``
  (``instruction``/``input``/``output``), each as JSONL and Parquet, in
  ``<out>/<format>/<split>.<jsonl|parquet>``.
- **Schema.** Every format has the same typed common columns (:data:`COMMON_COLUMNS`): strings,
  one float and one integer, never null, so any mix of months, domains and record types loads in
  one ``datasets.load_dataset`` call. What varies by record type (insights, methods, clock,
  window times, data span, warnings) is one JSON string, ``metadata_json``. The volatile build
  fields (processing time, correlation id, revision) and the source object's bucket and key
  (a path may carry a raw identifier) are left out, so the same examples always give the same
  bytes.
- **Near-duplicates.** Examples of one record type whose outputs are equal once every run of
  digits is masked are kept once (the first in a deterministic order); the counts removed per
  record type are reported and written into the card.
- **Splits.** train/validation/test by pseudonymous user: each user's examples go to the split
  their hash (with the seed) falls into, so no person is in two splits and a user keeps their
  split as data grows. With a single user, a user split would leave two splits empty, so the
  examples are split by window instead (a window's examples stay together) and the card says so.
  A split that receives nothing is not written and not listed.
- **Card.** ``<out>/README.md``: the YAML header the Hugging Face hub reads (``configs`` with
  ``data_files`` per split, ``dataset_info`` with features and split sizes), counts per split by
  domain, record type and kind, duplicates removed, provenance, pseudonymisation and the PHI
  caveat.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etl_core.contract.errors import RequestError
from etl_core.outputs.compaction import current_example_keys
from etl_core.stores.objects.base import ObjectStore

FORMATS = ("chat", "prompt-completion", "alpaca")
FILE_FORMATS = ("parquet", "jsonl")
SPLITS = ("train", "validation", "test")
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
DEFAULT_SEED = "etl-dataset"

SYSTEM_PROMPT = (
    "You are a careful health-data assistant. You read summaries of a person's wearable, "
    "sensor and phone records and write what they show: findings, what they mean and what "
    "the data cannot tell. State only figures given in the data, and say when the data are "
    "too thin for a judgement."
)
"""The system turn of every ``chat`` row."""

COMMON_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "string"),
    ("user", "string"),
    ("record_type", "string"),
    ("health_domain", "string"),
    ("example_kind", "string"),
    ("window_rule", "string"),
    ("window_first_day", "string"),
    ("window_last_day", "string"),
    ("month", "string"),
    ("quality_score", "float64"),
    ("record_count", "int64"),
    ("processor", "string"),
    ("metadata_json", "string"),
)
"""(name, dtype) of the columns every format carries after its own. Days are ISO dates
(``YYYY-MM-DD``) and ``month`` is ``YYYY-MM``; per-upload examples, which have no window, have
empty window fields."""

FORMAT_COLUMNS: dict[str, tuple[str, ...]] = {
    "chat": ("messages",),
    "prompt-completion": ("prompt", "completion"),
    "alpaca": ("instruction", "input", "output"),
}

_TYPED_METADATA = frozenset(
    {"user", "record_type", "health_domain", "example_kind", "quality_score", "record_count"}
)
_DROPPED_METADATA = frozenset(
    {"processed_at", "correlation_id", "revision", "source_bucket", "source_key"}
)
_DIGITS = re.compile(r"\d+")
_WINDOW_DIR = re.compile(r"^(?P<group>(?:.+/)?examples/[0-9a-f]+)/r\d+\.jsonl$")
_MONTH = re.compile(r"/(?P<yyyy>\d{4})/(?P<mm>\d{2})/examples/")


class DatasetError(RequestError):
    """A data set cannot be built as asked (no examples, bad ratios, a missing library);
    the message is one line for the user."""

    error_type = "dataset_error"


# -- sources -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where an output's examples are: a store and a key prefix inside it."""

    store: ObjectStore
    prefix: str
    label: str
    """For the card: ``s3://bucket/prefix``, or ``a local output folder`` (never a path)."""


@dataclass(frozen=True)
class SourceExample:
    key: str
    line: int
    example: dict[str, Any]


def example_keys(source: Source, training_prefix: str) -> tuple[str, list[str]]:
    """The current example keys of an output root and the prefix they were found under:
    ``<prefix><training_prefix>``, or, when nothing is there, ``prefix`` itself (the training
    folder itself was named)."""
    for prefix in (f"{source.prefix}{training_prefix}", source.prefix):
        keys = current_example_keys(source.store.list(prefix))
        if keys:
            return prefix, keys
    return source.prefix, []


def read_examples(
    sources: Sequence[Source], training_prefix: str
) -> tuple[list[SourceExample], str, int]:
    """Every current example of every source, the sources' digest (SHA-256 over each example
    object's key and bytes, in order) and the number of example objects read. Keys are
    relative to the training root, so the same output gives the same rows wherever it is."""
    digest = hashlib.sha256()
    examples: list[SourceExample] = []
    objects = 0
    for source in sources:
        root, keys = example_keys(source, training_prefix)
        # S3 answers one GET at a time per connection; a few in flight hide the latency.
        with ThreadPoolExecutor(max_workers=8) as pool:
            bodies = list(pool.map(source.store.get, keys))
        for key, body in zip(keys, bodies, strict=True):
            objects += 1
            relative = key.removeprefix(root)
            digest.update(f"{relative}\x1f".encode())
            digest.update(hashlib.sha256(body).digest())
            for number, line in enumerate(body.splitlines()):
                if not line.strip():
                    continue
                try:
                    example = json.loads(line)
                except ValueError:
                    example = None
                if not isinstance(example, dict):
                    raise DatasetError(
                        f"{source.label}: {key}: line {number + 1} is not a JSON example"
                    )
                examples.append(SourceExample(relative, number, example))
    return examples, digest.hexdigest(), objects


# -- rows --------------------------------------------------------------------------------------


def masked(text: str) -> str:
    """``text`` with every run of digits replaced by ``#`` and whitespace collapsed."""
    return " ".join(_DIGITS.sub("#", text).split())


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def common_row(item: SourceExample) -> dict[str, Any]:
    """The common columns of one example (see :data:`COMMON_COLUMNS`)."""
    example = item.example
    metadata = example.get("metadata") or {}
    window = metadata.get("window") or {}
    group_match = _WINDOW_DIR.match(item.key)
    group = group_match.group("group") if group_match else item.key
    first_day = _text(window.get("first_day"))
    month_match = _MONTH.search(item.key)
    month = (
        first_day[:7]
        if first_day
        else (f"{month_match['yyyy']}-{month_match['mm']}" if month_match else "")
    )
    variable = {
        key: value
        for key, value in metadata.items()
        if key not in _TYPED_METADATA and key not in _DROPPED_METADATA
    }
    identity = "\x1f".join(
        [group, str(item.line), _text(example.get("instruction")), _text(example.get("output"))]
    )
    quality = metadata.get("quality_score")
    count = metadata.get("record_count")
    return {
        "id": hashlib.sha256(identity.encode()).hexdigest()[:20],
        "user": _text(metadata.get("user")),
        "record_type": _text(metadata.get("record_type")),
        "health_domain": _text(metadata.get("health_domain")),
        "example_kind": _text(metadata.get("example_kind")) or "clinician_summary",
        "window_rule": _text(window.get("rule")),
        "window_first_day": first_day,
        "window_last_day": _text(window.get("last_day")),
        "month": month,
        "quality_score": float(quality) if isinstance(quality, int | float) else 0.0,
        "record_count": int(count) if isinstance(count, int) else 0,
        "processor": _text(metadata.get("processor")),
        "metadata_json": json.dumps(variable, ensure_ascii=False, sort_keys=True),
        # Not columns: what splitting needs.
        "_group": group,
    }


def prompt_text(instruction: str, input_text: str) -> str:
    """The user turn: the instruction, then the window's findings."""
    return f"{instruction}\n\n{input_text}" if input_text else instruction


def format_row(fmt: str, example: dict[str, Any], system_prompt: str) -> dict[str, Any]:
    instruction = _text(example.get("instruction"))
    input_text = _text(example.get("input"))
    output = _text(example.get("output"))
    if fmt == "chat":
        return {
            "messages": [
                {"role": "system", "content": system_prompt},
                {"role": "user", "content": prompt_text(instruction, input_text)},
                {"role": "assistant", "content": output},
            ]
        }
    if fmt == "prompt-completion":
        return {"prompt": prompt_text(instruction, input_text), "completion": output}
    if fmt == "alpaca":
        return {"instruction": instruction, "input": input_text, "output": output}
    raise DatasetError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")


# -- options, selection, dedup, split ----------------------------------------------------------


@dataclass(frozen=True)
class DatasetOptions:
    formats: tuple[str, ...] = FORMATS
    file_formats: tuple[str, ...] = FILE_FORMATS
    ratios: tuple[float, float, float] = DEFAULT_RATIOS
    seed: str = DEFAULT_SEED
    domains: frozenset[str] = frozenset()
    record_types: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    min_quality: float | None = None
    system_prompt: str = SYSTEM_PROMPT


def parse_ratios(text: str) -> tuple[float, float, float]:
    """``"0.8,0.1,0.1"`` (or ``80,10,10``): train, validation and test shares, normalised."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 3 or any(v < 0 or v != v for v in values) or sum(values) <= 0:
        raise DatasetError(
            f"--split {text!r}: give three non-negative shares for train, validation and "
            "test, e.g. 0.8,0.1,0.1"
        )
    total = sum(values)
    return (values[0] / total, values[1] / total, values[2] / total)


def _selected(row: dict[str, Any], options: DatasetOptions) -> bool:
    if options.domains and row["health_domain"] not in options.domains:
        return False
    if options.record_types and row["record_type"] not in options.record_types:
        return False
    if options.kinds and row["example_kind"] not in options.kinds:
        return False
    return options.min_quality is None or row["quality_score"] >= options.min_quality


def split_of(group: str, seed: str, ratios: tuple[float, float, float]) -> str:
    """The split a user (or window) falls into: a stable function of the group and the seed."""
    digest = hashlib.sha256(f"{seed}\x1f{group}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    if position < ratios[0]:
        return "train"
    if position < ratios[0] + ratios[1]:
        return "validation"
    return "test"


@dataclass
class Built:
    """What :func:`build_dataset` wrote and counted."""

    out: Path
    rows: dict[str, list[dict[str, Any]]]
    """Per split: the common columns plus ``_example`` (instruction, input, output)."""
    split_by: str
    files: dict[str, dict[str, dict[str, str]]]
    """Per file format (its folder under ``out``), per config (the format): split -> path
    relative to that folder."""
    examples_read: int
    objects_read: int
    filtered_out: int
    duplicates_removed: dict[str, int]
    source_digest: str
    source_labels: list[str]
    options: DatasetOptions
    written: list[Path] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    """Bytes of each written data file, by path relative to ``out``."""

    def counts(self) -> dict[str, int]:
        return {split: len(self.rows[split]) for split in SPLITS}


def _order(row: dict[str, Any]) -> tuple[str, ...]:
    example = row["_example"]
    return (
        row["record_type"],
        row["user"],
        row["window_first_day"],
        row["_group"],
        row["example_kind"],
        _text(example.get("instruction")),
        _text(example.get("output")),
    )


def select_and_split(
    examples: Iterable[SourceExample], options: DatasetOptions
) -> tuple[dict[str, list[dict[str, Any]]], str, int, dict[str, int]]:
    """Rows per split, what they were split by (``user`` or ``window``), how many examples the
    filters left out, and the near-duplicates removed per record type."""
    rows = []
    filtered_out = 0
    for item in examples:
        row = common_row(item)
        if not _selected(row, options):
            filtered_out += 1
            continue
        row["_example"] = item.example
        rows.append(row)
    rows.sort(key=_order)
    seen: set[tuple[str, str]] = set()
    removed: Counter[str] = Counter()
    kept = []
    for row in rows:
        key = (row["record_type"], masked(_text(row["_example"].get("output"))))
        if key in seen:
            removed[row["record_type"]] += 1
            continue
        seen.add(key)
        kept.append(row)
    users = {row["user"] for row in kept}
    split_by = "user" if len(users) > 1 else "window"
    splits: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}
    for row in kept:
        group = row["user"] if split_by == "user" else row["_group"]
        splits[split_of(group, options.seed, options.ratios)].append(row)
    return splits, split_by, filtered_out, dict(sorted(removed.items()))


# -- writing -----------------------------------------------------------------------------------


def output_rows(
    fmt: str, rows: Sequence[dict[str, Any]], system_prompt: str
) -> Iterator[dict[str, Any]]:
    for row in rows:
        record = format_row(fmt, row["_example"], system_prompt)
        record.update({name: row[name] for name, _ in COMMON_COLUMNS})
        yield record


def arrow_schema(fmt: str) -> Any:
    pa = _pyarrow()
    types = {"string": pa.string(), "float64": pa.float64(), "int64": pa.int64()}
    fields = []
    if fmt == "chat":
        message = pa.struct([("role", pa.string()), ("content", pa.string())])
        fields.append(pa.field("messages", pa.list_(message), nullable=False))
    else:
        fields += [pa.field(name, pa.string(), nullable=False) for name in FORMAT_COLUMNS[fmt]]
    fields += [pa.field(name, types[dtype], nullable=False) for name, dtype in COMMON_COLUMNS]
    return pa.schema(fields)


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as exc:
        raise DatasetError(
            "Parquet needs pyarrow: pip install 'etl-core[dataset]' (or --file-format jsonl)"
        ) from exc
    return pyarrow


def _write_file(path: Path, fmt: str, file_format: str, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp-{path.name}")
    if file_format == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records)
        temporary.write_text(text, encoding="utf-8")
    else:
        pa = _pyarrow()
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(records, schema=arrow_schema(fmt))
        pq.write_table(table, temporary)
    temporary.replace(path)


def build_dataset(
    sources: Sequence[Source],
    out: Path,
    options: DatasetOptions,
    *,
    training_prefix: str = "training/",
    engine_version: str = "",
) -> Built:
    """Read, filter, deduplicate, split and write the data set and its card into ``out``."""
    if "parquet" in options.file_formats:
        _pyarrow()
    examples, digest, objects = read_examples(sources, training_prefix)
    if not examples:
        raise DatasetError("no training examples under " + ", ".join(s.label for s in sources))
    splits, split_by, filtered_out, removed = select_and_split(examples, options)
    if not any(splits.values()):
        raise DatasetError(f"the filters left none of the {len(examples)} training examples")
    built = Built(
        out=out,
        rows=splits,
        split_by=split_by,
        files={},
        examples_read=len(examples),
        objects_read=objects,
        filtered_out=filtered_out,
        duplicates_removed=removed,
        source_digest=digest,
        source_labels=[s.label for s in sources],
        options=options,
    )
    # Files of an earlier build that this one would not list must not linger beside it.
    for file_format in FILE_FORMATS:
        for fmt in FORMATS:
            for split in SPLITS:
                (out / file_format / fmt / f"{split}.{file_format}").unlink(missing_ok=True)
    for file_format in options.file_formats:
        folder = out / file_format
        configs: dict[str, dict[str, str]] = {}
        for fmt in options.formats:
            files: dict[str, str] = {}
            for split in SPLITS:
                if not splits[split]:
                    continue
                relative = f"{fmt}/{split}.{file_format}"
                records = list(output_rows(fmt, splits[split], options.system_prompt))
                _write_file(folder / relative, fmt, file_format, records)
                built.written.append(folder / relative)
                built.sizes[f"{file_format}/{relative}"] = (folder / relative).stat().st_size
                files[split] = relative
            configs[fmt] = files
        built.files[file_format] = configs
        card = folder / "README.md"
        card.write_text(dataset_card(built, file_format, engine_version), encoding="utf-8")
        built.written.append(card)
    return built


# -- the card ----------------------------------------------------------------------------------


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML of plain dicts, lists and scalars (strings double-quoted, as JSON)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(item, indent + (0 if isinstance(item, list) else 2)))
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item) if item != [] else '[]'}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list) and item:
                nested = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {nested.lstrip()}")
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
    else:
        lines.append(f"{pad}{_yaml_scalar(value)}")
    return "\n".join(lines)


def hub_features(fmt: str) -> list[dict[str, Any]]:
    """The ``dataset_info.features`` of a format, in the hub's YAML form."""
    features: list[dict[str, Any]] = []
    if fmt == "chat":
        features.append(
            {
                "name": "messages",
                "list": [
                    {"name": "role", "dtype": "string"},
                    {"name": "content", "dtype": "string"},
                ],
            }
        )
    else:
        features += [{"name": name, "dtype": "string"} for name in FORMAT_COLUMNS[fmt]]
    features += [{"name": name, "dtype": dtype} for name, dtype in COMMON_COLUMNS]
    return features


def card_header(built: Built, file_format: str) -> dict[str, Any]:
    """The YAML header: one config per row format, the first the default. A card lists one
    file format only: ``datasets`` reads every config of a folder with one builder."""
    configs: list[dict[str, Any]] = []
    infos: list[dict[str, Any]] = []
    for fmt, files in built.files[file_format].items():
        config: dict[str, Any] = {"config_name": fmt}
        if not configs:
            config["default"] = True
        config["data_files"] = [{"split": split, "path": path} for split, path in files.items()]
        configs.append(config)
        split_infos: list[dict[str, Any]] = [
            {
                "name": split,
                "num_bytes": built.sizes[f"{file_format}/{path}"],
                "num_examples": len(built.rows[split]),
            }
            for split, path in files.items()
        ]
        infos.append(
            {
                "config_name": fmt,
                "features": hub_features(fmt),
                "splits": split_infos,
                "download_size": sum(int(info["num_bytes"]) for info in split_infos),
                "dataset_size": sum(int(info["num_bytes"]) for info in split_infos),
            }
        )
    return {
        "pretty_name": "ETL Narrative Engine health narratives",
        "language": ["en"],
        "task_categories": ["text-generation"],
        "tags": ["health", "wearables", "instruction-tuning", "phi"],
        "size_categories": [_size_category(sum(built.counts().values()))],
        "configs": configs,
        "dataset_info": infos,
    }


def _size_category(rows: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if rows < limit:
            return label
    return "100K<n<1M" if rows < 1_000_000 else "n>1M"


def _count_table(built: Built, column: str) -> list[str]:
    counts = {split: Counter(row[column] for row in built.rows[split]) for split in SPLITS}
    values = sorted(set().union(*counts.values()))
    lines = [f"| {column} | " + " | ".join(SPLITS) + " | total |", "|---|---:|---:|---:|---:|"]
    for value in values:
        per = [counts[split][value] for split in SPLITS]
        lines.append(f"| {value} | " + " | ".join(map(str, per)) + f" | {sum(per)} |")
    totals = [len(built.rows[split]) for split in SPLITS]
    lines.append("| **total** | " + " | ".join(map(str, totals)) + f" | {sum(totals)} |")
    return lines


def dataset_card(built: Built, file_format: str, engine_version: str) -> str:
    """The README.md of the ``file_format`` folder: the hub's YAML header, then the card."""
    options = built.options
    counts = built.counts()
    users = {split: {row["user"] for row in built.rows[split]} for split in SPLITS}
    all_rows = [row for split in SPLITS for row in built.rows[split]]
    months = sorted({row["month"] for row in all_rows if row["month"]})
    processors = Counter(row["processor"] for row in all_rows)
    lines = ["---", to_yaml(card_header(built, file_format)), "---", ""]
    kind = "Parquet" if file_format == "parquet" else "JSONL"
    others = [f"`../{other}/`" for other in built.files if other != file_format]
    first = next(iter(built.files[file_format]), "chat")
    lines += [
        "# ETL Narrative Engine: health narratives for fine-tuning",
        "",
        "Instruction examples built by the ETL Narrative Engine from Android Health Connect "
        "exports: each one pairs a window of a person's records (a day, a night, a week, 14 "
        "days), rendered as `key: value` findings, with a clinician's summary, a plain-language "
        "note, a focused question and its answer, or a comparison with the previous window.",
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        f'data = load_dataset("path/to/this/folder", "{first}")  # DatasetDict of the splits',
        "```",
        "",
        f"This folder holds the {kind} files"
        + (
            f"; the same rows in the other file format are in {', '.join(others)}."
            if others
            else "."
        ),
        "",
        "| config | files |",
        "|---|---|",
    ]
    for fmt, files in built.files[file_format].items():
        listed = ", ".join(f"`{path}`" for path in files.values())
        lines.append(f"| `{fmt}` | {listed} |")
    lines += [
        "",
        "- `chat`: `messages`, a list of turns with `role` system, user, assistant, in that "
        "order (the user turn is the instruction, a blank line, then the findings).",
        "- `prompt-completion`: `prompt` (instruction and findings) and `completion`.",
        "- `alpaca`: `instruction`, `input` (the findings) and `output`.",
        "",
        "Every config then has the same typed columns: "
        + ", ".join(f"`{name}` ({dtype})" for name, dtype in COMMON_COLUMNS)
        + ". `metadata_json` is a JSON string of the rest of each example's metadata "
        "(`clinical_insights`, `methods`, `window`, `clock`, data span, processor, warnings, "
        "content fingerprint); decode it with `json.loads`.",
        "",
        "## Splits",
        "",
    ]
    ratio_text = "/".join(f"{r:.2f}" for r in options.ratios)
    if built.split_by == "user":
        lines.append(
            f"Split by pseudonymous user (shares {ratio_text}, seed `{options.seed}`): all of "
            "a person's examples are in one split, chosen by a hash of the pseudonym and the "
            "seed, so no person is in two splits and a person keeps their split as data grows."
        )
    else:
        lines.append(
            f"**Split by window, not by person**: the data hold a single user, so a split by "
            f"person would leave two splits empty. Each window's examples (shares {ratio_text}, "
            f"seed `{options.seed}`) stay together, but validation and test come from the same "
            "person as train, and windows overlap in time (a day lies inside its week, a "
            "comparison reads the previous window): the held-out splits measure fit to this "
            "person's notes, not generalisation to new people."
        )
    lines.append("")
    lines.append("| split | examples | users |")
    lines.append("|---|---:|---:|")
    for split in SPLITS:
        lines.append(f"| {split} | {counts[split]} | {len(users[split])} |")
    empty = [split for split in SPLITS if not counts[split]]
    if empty:
        lines += [
            "",
            f"Empty and not written: {', '.join(empty)} (too few "
            f"{'users' if built.split_by == 'user' else 'windows'} for the shares).",
        ]
    lines += ["", "## Counts", ""]
    for column in ("health_domain", "record_type", "example_kind"):
        lines += _count_table(built, column)
        lines.append("")
    removed_total = sum(built.duplicates_removed.values())
    lines += [
        "## Selection and near-duplicates",
        "",
        f"- Read: {built.examples_read} current examples from {built.objects_read} example "
        "objects (the highest revision of every window).",
        f"- Left out by the filters: {built.filtered_out}"
        + (f" ({_filters_text(options)})" if _filters_text(options) else " (no filters)")
        + ".",
        f"- Near-duplicates removed: {removed_total} (outputs equal once digits are masked, "
        "per record type; the first in a fixed order is kept)"
        + (
            ": " + ", ".join(f"{rt} {n}" for rt, n in built.duplicates_removed.items())
            if removed_total
            else ""
        )
        + ".",
        f"- Written: {sum(counts.values())} examples.",
        "",
        "## Provenance",
        "",
        f"- Built by `etl dataset` (etl-core {engine_version or 'unknown'}) from: "
        + ", ".join(built.source_labels)
        + ".",
        f"- Source digest (SHA-256 over the example objects read): `{built.source_digest}`. "
        "The same examples and options give the same files.",
        f"- Months: {', '.join(months) if months else 'none'}.",
        "- Processors: "
        + ", ".join(f"{name or 'unknown'} ({n})" for name, n in sorted(processors.items()))
        + ".",
        "- Every figure an output states is in its input or is a declared reference value "
        "(the engine enforces it when it builds the example).",
        "",
        "## Pseudonymisation",
        "",
        "`user` is a pseudonym: `u_` plus an HMAC-SHA256 of the person's id under the "
        "deployment's `ETL_PSEUDONYM_KEY`. No raw user id, file name or source object key is in "
        "the data set; the build time, correlation id and revision of each example are left "
        f"out. Distinct users: {len({row['user'] for row in all_rows})}.",
        "",
        "## PHI caveat",
        "",
        "These examples describe real people's health: glucose, heart rate, sleep and activity "
        "with their dates and times. A pseudonym is not anonymity: the patterns and dates can "
        "re-identify a person, and whoever holds the pseudonym key can link them back. Treat "
        "this data set as protected health information (HIPAA) and special-category data "
        "(GDPR): keep it private, with access control and an agreement with the data "
        "subjects' controller; do not push it to a public hub repository; do not train a model "
        "that will be shared outside that agreement on it. The narratives are generated by "
        "rules, not reviewed by a clinician, and are not medical advice.",
        "",
    ]
    return "\n".join(lines)


def _filters_text(options: DatasetOptions) -> str:
    parts = []
    if options.domains:
        parts.append("domains " + ", ".join(sorted(options.domains)))
    if options.record_types:
        parts.append("record types " + ", ".join(sorted(options.record_types)))
    if options.kinds:
        parts.append("kinds " + ", ".join(sorted(options.kinds)))
    if options.min_quality is not None:
        parts.append(f"quality at least {options.min_quality}")
    return "; ".join(parts)
