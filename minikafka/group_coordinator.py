"""The group coordinator's committed offsets, on the leader of the group's `__consumer_offsets`
partition (kafka-semantics.md H.56, I.57, G.49).

Rules:
1. Committed offsets are records in the group's partition (coordinator.py rule 1), key
   "offset/<group>/<topic>/<partition>", value "offset=N". A commit takes effect once
   replicated (coordinator.py rule 4); on load, the last record per key wins. A committed
   offset is the position to resume from: the next record to read.
2. OffsetCommit without group membership (generation -1, member id "") is accepted while the
   group has no members (every group, until group membership is modelled). A partition of an
   unknown topic gets UNKNOWN_TOPIC_OR_PART.
3. TxnOffsetCommit is written as a transactional batch with the producer's id and epoch, and
   stays *pending* for that producer until the transaction's marker lands in the same
   partition: COMMIT makes the offsets committed, ABORT drops them. Loading replays the log by
   the same rule. An older producer epoch gets INVALID_PRODUCER_EPOCH (the zombie is fenced).
4. OffsetFetch with require_stable: a partition with pending transactional offsets answers
   UNSTABLE_OFFSET_COMMIT and the consumer retries; otherwise the committed offset, or -1.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import protocol as P
from .coordinator import CONSUMER_OFFSETS, Coordinator, parse_value, record_value

if TYPE_CHECKING:
    from .broker import Broker

TP = tuple[str, int]


def offset_key(group: str, tp: TP) -> str:
    return f"offset/{group}/{tp[0]}/{tp[1]}"


def parse_offset_key(key: str) -> tuple[str, TP]:
    _, rest = key.split("/", 1)
    group, topic, part = rest.rsplit("/", 2)
    return group, (topic, int(part))


class GroupCoordinator(Coordinator):
    topic = CONSUMER_OFFSETS

    def __init__(self, broker: "Broker") -> None:
        super().__init__(broker)
        self.offsets: dict[str, dict[TP, int]] = {}                 # group -> tp -> committed offset
        self.pending: dict[tuple[int, int], list[tuple[str, TP, int]]] = {}   # (partition, pid) -> offsets

    # -- loading (rule 1, rule 3) ---------------------------------------------------------
    def load(self, partition: int, batches: list) -> None:
        for b in batches:
            if b.control:
                self._complete(partition, b.producer_id, b.control_type == "COMMIT")
                continue
            for rec in b.records:
                group, tp = parse_offset_key(rec.key.decode())
                offset = int(parse_value(rec.value)["offset"])
                if b.transactional:
                    self.pending.setdefault((partition, b.producer_id), []).append((group, tp, offset))
                else:
                    self.offsets.setdefault(group, {})[tp] = offset

    def unload(self, partition: int) -> None:
        for group in sorted(self.offsets):
            if self.partition_of(group) == partition:
                del self.offsets[group]
        for key in sorted(self.pending):
            if key[0] == partition:
                del self.pending[key]

    def _complete(self, partition: int, pid: int, committed: bool) -> None:
        for group, tp, offset in self.pending.pop((partition, pid), []):
            if committed:
                self.offsets.setdefault(group, {})[tp] = offset

    def on_marker(self, partition: int, pid: int, committed: bool) -> None:
        """Rule 3: a transaction marker was written and replicated in one of our partitions."""
        if partition in self.epochs and (partition, pid) in self.pending:
            self.trace.state(self.sim.now, self.broker.name, "offsets.txn_complete", partition=partition, pid=pid,
                             result="COMMIT" if committed else "ABORT",
                             offsets=tuple(f"{g}:{t}-{p}={o}" for g, (t, p), o in self.pending[(partition, pid)]))
            self._complete(partition, pid, committed)

    # -- requests ----------------------------------------------------------------------
    def on_offset_commit(self, src: str, msg: P.OffsetCommitRequest) -> None:
        self._commit(src, msg.cid, msg.group_id, msg.offsets, None)

    def on_txn_offset_commit(self, src: str, msg: P.TxnOffsetCommitRequest) -> None:
        self._commit(src, msg.cid, msg.group_id, msg.offsets, (msg.producer_id, msg.producer_epoch))

    def _commit(self, src: str, cid: int, group: str, offsets: tuple, producer: tuple[int, int] | None) -> None:
        def answer(err: str | None, per_tp: dict | None = None) -> None:
            results = tuple((tp, (per_tp or {}).get(tp, err)) for tp, _ in offsets)
            self.broker.send(src, P.OffsetCommitResponse(cid, results))
        err = self.owner_error(group)
        if err is not None:
            return answer(err)
        unknown = {tp: "UNKNOWN_TOPIC_OR_PART" for tp, _ in offsets if not self._exists(tp)}
        if unknown:
            return answer(None, unknown)
        partition = self.partition_of(group)
        records = [(offset_key(group, tp), record_value({"offset": off})) for tp, off in offsets]

        def written(err: str | None) -> None:
            if err is None:
                if producer is None:
                    self.offsets.setdefault(group, {}).update(dict(offsets))
                else:
                    self.pending.setdefault((partition, producer[0]), []).extend(
                        (group, tp, off) for tp, off in offsets)
                self.trace.state(self.sim.now, self.broker.name,
                                 "offsets.commit" if producer is None else "offsets.txn_pending", group=group,
                                 offsets=tuple(f"{t}-{p}={o}" for (t, p), o in offsets),
                                 **({"pid": producer[0]} if producer else {}))
            answer(err)
        self.write(partition, records, written, producer)

    def on_offset_fetch(self, src: str, msg: P.OffsetFetchRequest) -> None:
        err = self.owner_error(msg.group_id)
        if err is not None:
            self.broker.send(src, P.OffsetFetchResponse(msg.cid, err, ()))
            return
        committed = self.offsets.get(msg.group_id, {})
        partition = self.partition_of(msg.group_id)
        unstable = {tp for (part, _), items in self.pending.items() if part == partition
                    for g, tp, _ in items if g == msg.group_id}
        out = tuple((tp, committed.get(tp, -1),
                     "UNSTABLE_OFFSET_COMMIT" if msg.require_stable and tp in unstable else None)
                    for tp in msg.partitions)
        self.broker.send(src, P.OffsetFetchResponse(msg.cid, None, out))

    def _exists(self, tp: TP) -> bool:
        parts = self.broker.metadata.get(tp[0])
        return parts is not None and 0 <= tp[1] < len(parts)
