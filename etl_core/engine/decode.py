"""Decode stage: Avro bytes in, records of one record type out.

fastavro does the decoding (about ten times faster than the ``avro`` package on the samples);
the ``avro`` package's compatibility checker governs schemas: a file whose writer schema the
owning plugin's reader schema cannot read is refused with the checker's precise reasons. The
verdict is cached per pair of schema fingerprints, so an app version is checked once.

Before fastavro sees the blocks, :func:`checked_container` walks them and refuses what would
make decoding unbounded: a compressed block that inflates past the size limit (a deflate
bomb), a block declaring more records than its bytes can hold, more records than one per
``BYTES_PER_RECORD_FLOOR`` bytes of the limit, and a schema whose records or array items
encode to zero bytes (a declared count of 2**62 would then decode forever).
"""

from __future__ import annotations

import bz2
import hashlib
import io
import json
import lzma
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

import avro.compatibility
import avro.schema
import fastavro
from fastavro.read import HEADER_SCHEMA
from fastavro.schema import to_parsing_canonical_form

from etl_core.contract.errors import DecodeError, FileTooLargeError
from etl_core.contract.schemas import record_type_from_schema_name

AVRO_MAGIC = b"Obj\x01"
SYNC_SIZE = 16
DEFAULT_MAX_DECODED_BYTES = 50 * 1024 * 1024
"""The default of ``ETL_MAX_FILE_SIZE_MB``: decoded block bytes may not exceed it either."""
BYTES_PER_RECORD_FLOOR = 64
"""A decoded record costs some 200 bytes of Python objects however small its encoding, so a
container may hold at most one record per this many bytes of the size limit: a 1-byte-record
file cannot multiply its size in memory. Health Connect records encode to 100 bytes or more."""
_PRIMITIVE_WIDTHS = {
    "null": 0,
    "boolean": 1,
    "int": 1,
    "long": 1,
    "float": 4,
    "double": 8,
    "bytes": 1,
    "string": 1,
}
"""The fewest bytes each primitive encodes to (varints and lengths take at least one)."""


def schema_fingerprint(schema: Mapping[str, Any]) -> str:
    canonical = to_parsing_canonical_form(fastavro.parse_schema(dict(schema), _write_hint=False))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def same_schema(reader_schema: Mapping[str, Any], writer_schema: Mapping[str, Any]) -> bool:
    """Whether decoding with the writer schema alone gives the records that resolving into
    the reader schema gives: the same parsing canonical form (same names, fields, types and
    order) and the same logical types, which that form leaves out but fastavro applies from
    the reader schema."""
    return schema_fingerprint(reader_schema) == schema_fingerprint(writer_schema) and list(
        _logical_types(reader_schema)
    ) == list(_logical_types(writer_schema))


def _logical_types(node: Any) -> Iterator[str]:
    """The logical-type annotations of a schema, in the order of its structure."""
    if isinstance(node, list):
        for branch in node:
            yield from _logical_types(branch)
    elif isinstance(node, Mapping):
        annotation = {k: node[k] for k in ("logicalType", "precision", "scale") if k in node}
        yield json.dumps(annotation, sort_keys=True, default=str)
        for key in ("type", "fields", "items", "values"):
            if key in node:
                yield from _logical_types(node[key])


def record_type_from_filename(name: str) -> str | None:
    """``BloodGlucoseRecord_1758407139312.avro`` -> ``BloodGlucoseRecord``."""
    stem = name.rsplit("/", 1)[-1].split("_", 1)[0].removesuffix(".avro")
    return stem if stem.endswith("Record") and stem.isidentifier() else None


def read_header(data: bytes, max_bytes: int, name: str) -> dict[str, Any]:
    """Check size and magic and return the writer schema, without decoding any block."""
    if len(data) > max_bytes:
        raise FileTooLargeError(f"{name}: {len(data)} bytes is over the limit of {max_bytes} bytes")
    if not data:
        raise DecodeError(f"{name}: the file is empty")
    if not data.startswith(AVRO_MAGIC):
        raise DecodeError(f"{name}: not an Avro object container file (bad magic bytes)")
    try:
        reader = fastavro.reader(io.BytesIO(data))
    except Exception as exc:  # fastavro raises many types for a damaged header
        raise DecodeError(f"{name}: unreadable Avro header ({_reason(exc)})") from exc
    schema = reader.writer_schema
    if not isinstance(schema, dict):
        raise DecodeError(f"{name}: the writer schema is not a record schema")
    return schema


def detect_record_type(writer_schema: Mapping[str, Any], name: str) -> tuple[str, str]:
    schema_name = writer_schema.get("name") if isinstance(writer_schema, Mapping) else None
    if isinstance(schema_name, str):
        from_schema = record_type_from_schema_name(schema_name)
        if from_schema:
            return from_schema, "schema"
    from_name = record_type_from_filename(name)
    if from_name:
        return from_name, "filename"
    raise DecodeError(
        f"{name}: cannot tell the record type (schema is not named Avro<RecordType> and the "
        "file name has no <RecordType>_ prefix)"
    )


def decode_records(
    data: bytes,
    name: str,
    reader_schema: Mapping[str, Any] | None,
    *,
    max_bytes: int = DEFAULT_MAX_DECODED_BYTES,
) -> list[dict[str, Any]]:
    """The records of a container, read with ``reader_schema`` (else the writer schema).
    Raises :class:`DecodeError` for damaged data and for blocks past the bounds of
    :func:`checked_container`."""
    container = checked_container(data, name, max_bytes)
    try:
        parsed = fastavro.parse_schema(dict(reader_schema)) if reader_schema else None
        shared: dict[tuple[tuple[str, type, object], ...], dict[str, Any]] = {}
        return [
            share_leaves(record, shared)
            for record in fastavro.reader(io.BytesIO(container), reader_schema=parsed)
            if isinstance(record, dict)
        ]
    except Exception as exc:  # truncation and corruption surface as many exception types
        raise DecodeError(f"{name}: truncated or corrupt Avro data ({_reason(exc)})") from exc


MAX_SHARED_LEAVES = 1_024
"""Distinct leaf mappings :func:`share_leaves` remembers per file."""

_SCALARS = (str, int, float, bool, type(None))


def share_leaves(
    record: dict[str, Any], shared: dict[tuple[tuple[str, type, object], ...], dict[str, Any]]
) -> dict[str, Any]:
    """``record`` with each nested mapping of plain values (``metadata.device`` and the like)
    replaced by an equal one met earlier in the same file, as the record is decoded: most
    records of a file repeat them, and a large export otherwise holds one copy per record
    (100,000 readings: a fifth of their memory). Records are read-only for everyone after
    decoding (the plugin contract), so sharing is invisible. ``shared`` holds the mappings met
    so far, keyed by their items and the items' types (``1``, ``1.0`` and ``True`` are equal
    but not interchangeable)."""
    for key, value in record.items():
        if type(value) is dict:
            record[key] = _shared(value, shared)
    return record


def _shared(
    node: dict[str, Any], shared: dict[tuple[tuple[str, type, object], ...], dict[str, Any]]
) -> dict[str, Any]:
    leaf = True
    for key, value in node.items():
        kind = type(value)
        if kind is dict:
            node[key] = _shared(value, shared)
            leaf = False
        elif kind not in _SCALARS or (kind is float and not value):
            # -0.0 equals 0.0: a zero stays in its own record rather than risk its sign.
            leaf = False
    if not leaf:
        return node
    signature = tuple((key, type(value), value) for key, value in node.items())
    found = shared.get(signature)
    if found is not None:
        return found
    if len(shared) < MAX_SHARED_LEAVES:
        shared[signature] = node
    return node


def checked_container(data: bytes, name: str, max_bytes: int) -> bytes:
    """Walk the blocks of an object container file without decoding a record and return
    bytes fastavro can decode within bounds: ``data`` itself for the null codec, otherwise
    the same container with its blocks inflated (each inflation stops at the budget).

    Raises :class:`DecodeError` when the blocks are malformed, their decoded bytes exceed
    ``max_bytes``, a block declares more records than its bytes can encode, the records
    outnumber ``max_bytes // BYTES_PER_RECORD_FLOOR``, or the writer schema lets a record or an
    array item encode to zero bytes.
    """
    if not data.startswith(AVRO_MAGIC):
        raise DecodeError(f"{name}: not an Avro object container file (bad magic bytes)")
    stream = io.BytesIO(data)
    try:
        header = cast(dict[str, Any], fastavro.schemaless_reader(stream, HEADER_SCHEMA, None))
        meta: dict[str, bytes] = header["meta"]
        sync: bytes = header["sync"]
        codec = meta.get("avro.codec", b"null").decode("ascii")
        writer_schema = fastavro.parse_schema(json.loads(meta["avro.schema"]), _write_hint=False)
        record_width = _min_width(writer_schema, {}, name)
    except DecodeError:
        raise
    except Exception as exc:  # a damaged header surfaces as many exception types
        raise DecodeError(f"{name}: unreadable Avro header ({_reason(exc)})") from exc
    if codec not in _INFLATERS:
        raise DecodeError(f"{name}: unsupported Avro codec {codec[:40]!r}")
    inflate = _INFLATERS[codec]
    position = stream.tell()
    decoded = records = 0
    max_records = max_bytes // BYTES_PER_RECORD_FLOOR
    blocks: list[tuple[int, bytes]] = []
    while position < len(data):
        count, position = _read_long(data, position, name)
        size, position = _read_long(data, position, name)
        end = position + size
        if count < 0 or size < 0 or end + SYNC_SIZE > len(data):
            raise DecodeError(f"{name}: truncated or corrupt Avro data (bad block header)")
        if data[end : end + SYNC_SIZE] != sync:
            raise DecodeError(f"{name}: truncated or corrupt Avro data (sync marker missing)")
        block = (
            None
            if inflate is None
            else _inflated(inflate, data[position:end], name, max_bytes - decoded + 1)
        )
        block_size = size if block is None else len(block)
        decoded += block_size
        if decoded > max_bytes:
            raise DecodeError(
                f"{name}: the blocks decode to more than the limit of {max_bytes} bytes"
            )
        if count > 0 and record_width == 0:
            raise DecodeError(f"{name}: the writer schema's records encode to zero bytes")
        if count * record_width > block_size:
            raise DecodeError(
                f"{name}: a block declares {count} records but holds {block_size} bytes"
            )
        records += count
        if records > max_records:
            raise DecodeError(
                f"{name}: more than {max_records} records (one per {BYTES_PER_RECORD_FLOOR} "
                f"bytes of the {max_bytes}-byte limit)"
            )
        if block is not None:
            blocks.append((count, block))
        position = end + SYNC_SIZE
    if inflate is None:
        return data
    rebuilt = io.BytesIO()
    fastavro.schemaless_writer(
        rebuilt,
        HEADER_SCHEMA,
        {"magic": AVRO_MAGIC, "meta": {**meta, "avro.codec": b"null"}, "sync": sync},
    )
    for count, block in blocks:
        rebuilt.write(_long_bytes(count) + _long_bytes(len(block)) + block + sync)
    return rebuilt.getvalue()


def _inflated(
    inflate: Callable[[bytes, int], bytes], payload: bytes, name: str, limit: int
) -> bytes:
    try:
        return inflate(payload, limit)
    except Exception as exc:  # zlib.error, OSError (bz2), LZMAError, EOFError
        raise DecodeError(
            f"{name}: truncated or corrupt Avro data (compressed block: {_reason(exc)})"
        ) from exc


def _inflate_deflate(payload: bytes, limit: int) -> bytes:
    # Raw deflate (no zlib header), as fastavro reads it; max_length stops a bomb at the limit.
    return zlib.decompressobj(-15).decompress(payload, limit)


def _inflate_bzip2(payload: bytes, limit: int) -> bytes:
    return bz2.BZ2Decompressor().decompress(payload, limit)


def _inflate_xz(payload: bytes, limit: int) -> bytes:
    return lzma.LZMADecompressor().decompress(payload, limit)


_INFLATERS: dict[str, Callable[[bytes, int], bytes] | None] = {
    "null": None,
    "deflate": _inflate_deflate,
    "bzip2": _inflate_bzip2,
    "xz": _inflate_xz,
}


def _read_long(data: bytes, position: int, name: str) -> tuple[int, int]:
    """An Avro zig-zag varint at ``position``: (value, position after it)."""
    value = shift = 0
    for index in range(position, min(position + 10, len(data))):
        byte = data[index]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (value >> 1) ^ -(value & 1), index + 1
        shift += 7
    raise DecodeError(f"{name}: truncated or corrupt Avro data (bad block header)")


def _long_bytes(value: int) -> bytes:
    encoded = (value << 1) ^ (value >> 63)
    out = bytearray()
    while encoded > 0x7F:
        out.append((encoded & 0x7F) | 0x80)
        encoded >>= 7
    out.append(encoded)
    return bytes(out)


def _min_width(schema: Any, named: dict[str, int], name: str) -> int:
    """The fewest bytes a value of ``schema`` (parsed, full names) can encode to. Refuses
    arrays of zero-width items: their declared counts cost no bytes, so nothing bounds them."""
    if isinstance(schema, str):
        # A name still being defined is recursive, and a recursive value needs a union or an
        # array (at least one byte) to end; 1 is a safe lower bound for it.
        return _PRIMITIVE_WIDTHS.get(schema, named.get(schema, 1))
    if isinstance(schema, list):
        return 1 + min((_min_width(branch, named, name) for branch in schema), default=0)
    if not isinstance(schema, Mapping):
        raise DecodeError(f"{name}: the writer schema is malformed")
    kind = schema.get("type")
    if kind in ("record", "error"):
        full_name = str(schema.get("name"))
        named.setdefault(full_name, 1)
        width = sum(_min_width(f.get("type"), named, name) for f in schema.get("fields", []))
        named[full_name] = width
        return width
    if kind == "fixed":
        named[str(schema.get("name"))] = int(schema.get("size", 0))
        return int(schema.get("size", 0))
    if kind == "enum":
        named[str(schema.get("name"))] = 1
        return 1
    if kind == "array":
        if _min_width(schema.get("items"), named, name) == 0:
            raise DecodeError(f"{name}: the writer schema has an array of zero-width items")
        return 1
    if kind == "map":
        # Every entry carries a string key (at least one byte), so entries are bounded; the
        # values are still walked for arrays nested in them.
        _min_width(schema.get("values"), named, name)
        return 1
    return _min_width(kind, named, name)


class SchemaGovernor:
    """Caches reader/writer compatibility verdicts by schema fingerprint, and whether a file
    needs resolving into the reader schema at all. Thread-safe."""

    def __init__(self) -> None:
        self._verdicts: dict[tuple[str, str], tuple[str, ...]] = {}
        self._same: dict[tuple[str, str], bool] = {}
        self._lock = threading.Lock()

    def incompatibilities(
        self, reader_schema: Mapping[str, Any], writer_schema: Mapping[str, Any]
    ) -> tuple[str, ...]:
        """Empty when the reader can read the writer's data; otherwise the reasons."""
        pair = (schema_fingerprint(reader_schema), schema_fingerprint(writer_schema))
        with self._lock:
            cached = self._verdicts.get(pair)
        if cached is not None:
            return cached
        verdict = _check(reader_schema, writer_schema)
        with self._lock:
            self._verdicts[pair] = verdict
        return verdict

    def resolution_schema(
        self, reader_schema: Mapping[str, Any] | None, writer_schema: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """The schema to resolve a compatible file's records into: ``None`` (decode with the
        writer schema alone) when the reader schema is the writer schema, since resolution
        costs some three times the plain decode and gives the same records then; the reader
        schema otherwise (schema evolution: added fields get their defaults)."""
        if reader_schema is None:
            return None
        key = (
            json.dumps(reader_schema, sort_keys=True, default=str),
            json.dumps(writer_schema, sort_keys=True, default=str),
        )
        with self._lock:
            same = self._same.get(key)
        if same is None:
            same = same_schema(reader_schema, writer_schema)
            with self._lock:
                self._same[key] = same
        return None if same else reader_schema


def _check(reader_schema: Mapping[str, Any], writer_schema: Mapping[str, Any]) -> tuple[str, ...]:
    try:
        reader = avro.schema.parse(json.dumps(reader_schema))
        writer = avro.schema.parse(json.dumps(writer_schema))
    except Exception as exc:  # avro raises SchemaParseException and friends
        return (f"schema does not parse ({_reason(exc)})",)
    checker = avro.compatibility.ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    result = checker.get_compatibility(reader, writer)
    if result.compatibility is avro.compatibility.SchemaCompatibilityType.compatible:
        return ()
    kinds = sorted({kind.value for kind in result.incompatibilities})
    places = sorted(
        _describe_location(str(loc), reader_schema) for loc in result.locations if loc != "/"
    )
    where = f" at {', '.join(places)}" if places else ""
    reasons = [f"{kind}: {', '.join(sorted(map(str, result.messages)))}{where}" for kind in kinds]
    return tuple(reasons) or ("incompatible",)


def _describe_location(location: str, reader_schema: Mapping[str, Any]) -> str:
    """``/fields/3/type`` -> ``field temperatureInCelsius (/fields/3/type)``."""
    parts = location.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "fields" and parts[1].isdigit():
        fields = reader_schema.get("fields", [])
        index = int(parts[1])
        if index < len(fields) and isinstance(fields[index], Mapping):
            return f"field {fields[index].get('name')} ({location})"
    return location


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
