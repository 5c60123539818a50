"""Kafka's binary protocol for the wire front end, by kafka-python's message classes (Kafka's
own JSON schemas, flexible versions included) and its RecordBatch v2 reader and builder (with
CRC32C). kafka-python is the optional `wire` extra: the simulator does not need it.

Rules:
1. `APIS` is exactly what the front end implements, by api key: its lowest and highest version.
   ApiVersions advertises these and nothing else. Versions whose requests name topics by id
   (Fetch 13+, Produce 13+, OffsetCommit 10+, OffsetFetch 10+) or batch several coordinator
   keys or transactional ids (FindCoordinator 4+, AddPartitionsToTxn 4+) or delete topics by id
   (DeleteTopics 6+) are left out, and so are those of
   transactions v2 (Produce 12+, EndTxn 5+, InitProducerId 5+: txn_apis.py rule 1).
2. A request decodes to kafka-python's request object; a body that does not decode, or that has
   null where its schema allows no null (`null_field`), is refused (the connection closes,
   socket_server.py rule 3).
3. Responses are built from nested dicts: a list of dicts becomes the schema's nested struct.
4. Record batches: a produced batch becomes minikafka's `RecordBatch` (its records, producer id,
   epoch, base sequence, transactional flag, and the timestamps moved by `clock`, the served
   cluster's offset from the wall clock); a fetched batch is rebuilt as RecordBatch v2 with its
   base offset, leader epoch, control, transactional and timestamp-type flags, and timestamps moved
   back.
   Compressed batches are refused (UNSUPPORTED_COMPRESSION_TYPE): minikafka stores records
   uncompressed.
"""
from __future__ import annotations

import re
import struct
import uuid
import warnings
from typing import Any

try:
    from kafka.protocol import admin as _admin
    from kafka.protocol import consumer as _consumer
    from kafka.protocol import metadata as _metadata
    from kafka.protocol import producer as _producer
    from kafka.protocol.api_message import ApiMessage
    from kafka.protocol.schemas import BaseField
    from kafka.protocol.consumer import ConsumerProtocolAssignment, ConsumerProtocolSubscription  # noqa: F401
    from kafka.record._crc32c import crc as crc32c
    from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
except ImportError as e:        # pragma: no cover - the message is the point
    raise ImportError("minikafka's wire front end needs kafka-python 3.x: pip install 'minikafka[wire]'") from e

from minikafka.serve import schemas
from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch, record_size


with warnings.catch_warnings():         # kafka-python reads schemas with a deprecated importlib call
    warnings.simplefilter("ignore", DeprecationWarning)

    class _Own:
        """The messages kafka-python does not ship, from minikafka's schemas (schemas/)."""

        class ConsumerGroupHeartbeatRequest(ApiMessage, load_json=schemas):
            pass

        class ConsumerGroupHeartbeatResponse(ApiMessage, load_json=schemas):
            pass


def topic_id(name: str) -> uuid.UUID:
    """A topic's id on the wire (Metadata 10+, the consumer protocol): minikafka's topics have
    names only, so the id is derived from the name (a re-created topic keeps it, unlike Kafka's)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "minikafka:topic:" + name)


def topics_by_id(names: Any) -> dict[uuid.UUID, str]:
    """The topic names of `names`, by their wire ids."""
    return {topic_id(t): t for t in names}

# api key: (name, lowest and highest version served, the module of kafka-python's classes)
APIS: dict[int, tuple[str, int, int, Any]] = {
    0: ("Produce", 3, 9, _producer),
    1: ("Fetch", 4, 12, _consumer),
    2: ("ListOffsets", 1, 7, _consumer),
    3: ("Metadata", 0, 12, _metadata),
    8: ("OffsetCommit", 2, 9, _consumer),
    9: ("OffsetFetch", 1, 9, _consumer),
    10: ("FindCoordinator", 0, 3, _metadata),
    11: ("JoinGroup", 2, 9, _consumer),
    12: ("Heartbeat", 0, 4, _consumer),
    13: ("LeaveGroup", 0, 5, _consumer),
    14: ("SyncGroup", 0, 5, _consumer),
    18: ("ApiVersions", 0, 3, _metadata),
    19: ("CreateTopics", 2, 7, _admin),
    20: ("DeleteTopics", 1, 5, _admin),
    22: ("InitProducerId", 0, 4, _producer),
    24: ("AddPartitionsToTxn", 0, 3, _producer),
    25: ("AddOffsetsToTxn", 0, 3, _producer),
    26: ("EndTxn", 0, 3, _producer),
    28: ("TxnOffsetCommit", 0, 3, _producer),
    32: ("DescribeConfigs", 1, 4, _admin),
    68: ("ConsumerGroupHeartbeat", 0, 1, _Own),
}
API_VERSIONS = 18
SUPPORTED: dict[int, tuple[int, int]] = {k: (lo, hi) for k, (_, lo, hi, _) in APIS.items()}
NAMES = {k: name for k, (name, _, _, _) in APIS.items()}
REQUESTS = {k: getattr(mod, name + "Request") for k, (name, _, _, mod) in APIS.items()}
RESPONSES = {k: getattr(mod, name + "Response") for k, (name, _, _, mod) in APIS.items()}


class UnsupportedCompression(Exception):
    pass


def decode_request(api_key: int, version: int, frame: bytes) -> Any:
    """Rule 2: kafka-python's request object, with `.header` (client id, correlation id)."""
    return REQUESTS[api_key].decode(frame, version=version, header=True)


def null_field(api_key: int, version: int, req: Any) -> str | None:
    """The first string field the schema says may not be null but is (rule 2): its path, or None."""
    def walk(fields: list[dict[str, Any]], obj: Any, path: str) -> str | None:
        for f in fields:
            if not _in(f.get("versions"), version) or f.get("taggedVersions"):
                continue
            name = _snake(f["name"])
            value = getattr(obj, name, None)
            nullable = _in(f.get("nullableVersions"), version)
            if f["type"] in ("string", "[]string") and value is None and not nullable:
                return path + name
            if f["type"] == "[]string" and value is not None and any(v is None for v in value):
                return path + name
            if f["type"].startswith("[]") and "fields" in f and value:
                for i, item in enumerate(value):
                    found = walk(f["fields"], item, f"{path}{name}[{i}].")
                    if found:
                        return found
        return None
    return walk(REQUESTS[api_key].json["fields"], req, "")


def _in(versions: str | None, version: int) -> bool:
    """Whether a schema's version range ("0+", "1-3", "none", absent) holds `version`."""
    span = BaseField.parse_versions(versions)
    return span is not None and span[0] <= version <= span[1]


def encode_response(api_key: int, version: int, correlation_id: int, fields: dict[str, Any]) -> bytes:
    """Rule 3: the framed response."""
    cls = RESPONSES[api_key][version]
    resp = _make(cls, fields)
    resp.with_header(correlation_id=correlation_id)
    return bytes(resp.encode(header=True, framed=True))


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _make(cls: Any, fields: dict[str, Any]) -> Any:
    nested = {}
    spec = cls.json if hasattr(cls, "json") else cls._struct._json
    for f in spec["fields"]:
        if f["type"].startswith("[]") and "fields" in f:
            nested[_snake(f["name"])] = getattr(cls, f["type"][2:])
    for f in spec["fields"]:
        if "fields" in f and not f["type"].startswith("[]"):
            nested[_snake(f["name"])] = getattr(cls, f["type"])
    kw = {}
    for k, v in fields.items():
        if k in nested and isinstance(v, list):
            v = [_make(nested[k], x) if isinstance(x, dict) else x for x in v]
        elif k in nested and isinstance(v, dict):
            v = _make(nested[k], v)
        kw[k] = v
    return cls(**kw)


# -- record batches (rule 4) ---------------------------------------------------------------------
def to_batches(data: bytes | None, clock: int) -> list[RecordBatch]:
    out = []
    view = memoryview(data or b"")
    pos = 0
    while pos + 12 <= len(view):
        (size,) = struct.unpack_from(">i", view, pos + 8)
        end = pos + 12 + size
        if size <= 0 or end > len(view):
            raise ValueError("a record batch runs past the end of its records")
        wire = DefaultRecordBatch(bytes(view[pos:end]))
        if wire.compression_type != 0:
            raise UnsupportedCompression(wire.compression_type)
        records = [Record(r.key, r.value, tuple((k, v) for k, v in r.headers) or None,
                          r.timestamp - clock if r.timestamp >= 0 else r.timestamp) for r in wire]
        size_sim = BATCH_OVERHEAD + sum(record_size(r.key, r.value, r.headers) for r in records)
        out.append(RecordBatch(records, size_sim, producer_id=wire.producer_id, producer_epoch=wire.producer_epoch,
                               base_sequence=wire.base_sequence, transactional=wire.is_transactional,
                               max_timestamp=max((r.timestamp for r in records), default=-1)))
        pos = end
    return out


CONTROL_BIT = 0x20
LOG_APPEND_TIME_BIT = 0x08           # the timestamp type
_HEADER = struct.Struct(">qiib")        # base offset, length, partition leader epoch, magic


def from_batches(batches: list[RecordBatch], clock: int) -> bytes:
    out = bytearray()
    for b in batches:
        builder = DefaultRecordBatchBuilder(2, 0, b.transactional, b.producer_id, b.producer_epoch, b.base_sequence,
                                            2**31 - 1)
        for i, r in enumerate(b.records):
            ts = r.timestamp + clock if r.timestamp >= 0 else 0
            value = r.value
            if b.control:       # a marker's record: key (version 0, type), value (version 0, coordinator epoch)
                kind = 1 if r.key == b"COMMIT" else 0
                key, value = struct.pack(">hh", 0, kind), struct.pack(">hi", 0, b.coordinator_epoch)
            else:
                key = r.key
            builder.append(i, ts, key, value, list(r.headers or ()))
        buf = bytearray(builder.build())
        flags = (CONTROL_BIT if b.control else 0) | (LOG_APPEND_TIME_BIT if b.log_append_time else 0)
        if flags:
            attrs_at = 21
            (attrs,) = struct.unpack_from(">h", buf, attrs_at)
            struct.pack_into(">h", buf, attrs_at, attrs | flags)
            struct.pack_into(">I", buf, 17, crc32c(bytes(buf[21:])))
        struct.pack_into(">q", buf, 0, b.base_offset)
        struct.pack_into(">i", buf, 12, b.leader_epoch)
        out += buf
    return bytes(out)
