"""The consumer's side of its group's committed offsets (Kafka's ConsumerCoordinator, offsets
part; kafka-semantics.md H.54-H.56, G.49).

Rules:
1. Committing and reading committed offsets need a `group.id` (else INVALID_GROUP_ID). Requests
   go to the group's coordinator, found with FindCoordinator and found again after
   NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE.
2. A committed offset N means "resume at N", the next record to read; `commit()` without
   offsets commits the current positions of the assigned partitions.
3. A partition that gets a position for the first time asks for the group's committed offset
   (OffsetFetch); with none, `auto.offset.reset` decides. A read_committed consumer asks with
   require_stable (KIP-447): while a transaction that sent offsets for the partition is
   undecided, the coordinator answers UNSTABLE_OFFSET_COMMIT and the consumer asks again after
   `retry.backoff.ms`. A read_uncommitted one gets the last committed offset at once.
4. Without group membership the commit carries generation -1 and member id "" (manual
   assignment with `assign()`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from . import protocol as P
from .errors import KafkaError, KafkaException
from .message import OFFSET_INVALID, GroupMetadata, TopicPartition

if TYPE_CHECKING:
    from .consumer import Consumer

TP = tuple[str, int]
FIND_AGAIN = frozenset({"NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "COORDINATOR_LOAD_IN_PROGRESS"})
RETRY = frozenset({"UNSTABLE_OFFSET_COMMIT", "REBALANCE_IN_PROGRESS"})


class ConsumerCoordinator:
    def __init__(self, consumer: "Consumer") -> None:
        self.c = consumer
        self.group_id: str | None = consumer.cfg["group.id"]
        self.generation = -1
        self.member_id = ""

    def check_group(self, call: str) -> str:
        if not self.group_id:
            raise KafkaException("INVALID_GROUP_ID", f"{call}() needs a group: set group.id in the consumer's "
                                                     "config (offsets are committed per group)")
        return self.group_id

    def metadata(self) -> GroupMetadata:
        return GroupMetadata(self.check_group("consumer_group_metadata"), self.generation, self.member_id,
                             self.c.cfg["group.instance.id"])

    # -- rule 2 ----------------------------------------------------------------------------
    def commit(self, offsets: tuple[tuple[TP, int], ...], on_done: Callable[[KafkaError | None, tuple], None]) -> None:
        group = self.check_group("commit")
        c = self.c

        def handle(resp: P.OffsetCommitResponse) -> str | None:
            errors = [err for _, err in resp.results if err is not None]
            if errors and errors[0] in FIND_AGAIN:
                return "refind"
            if errors and errors[0] in RETRY:
                return "retry"
            err = KafkaError(errors[0]) if errors else None
            c.trace.state(c.sim.now, c.name, "commit", group=group, error=errors[0] if errors else "none",
                          offsets=tuple(f"{t}-{p}={o}" for (t, p), o in offsets))
            on_done(err, resp.results)
            return None
        c.coordinator_call("group", group, lambda cid: P.OffsetCommitRequest(cid, group, self.generation,
                                                                             self.member_id, offsets), handle)

    # -- rule 3 ----------------------------------------------------------------------------
    def fetch_committed(self, tps: tuple[TP, ...], on_done: Callable[[dict[TP, int]], None]) -> None:
        group = self.check_group("committed")
        require_stable = self.c.isolation == "read_committed"

        def handle(resp: P.OffsetFetchResponse) -> str | None:
            if resp.error in FIND_AGAIN:
                return "refind"
            if any(err in RETRY for _, _, err in resp.offsets):
                return "retry"
            on_done({tp: off for tp, off, _ in resp.offsets})
            return None
        self.c.coordinator_call("group", group, lambda cid: P.OffsetFetchRequest(cid, group, tps, require_stable),
                                handle)

    def committed(self, partitions: list[TopicPartition], timeout_ms: int) -> list[TopicPartition]:
        tps = tuple((tp.topic, tp.partition) for tp in partitions)
        result: dict[str, dict[TP, int]] = {}
        self.fetch_committed(tps, lambda offs: result.__setitem__("offsets", offs))
        self.c.block_until(lambda: "offsets" in result, timeout_ms, "committed")
        if "offsets" not in result:
            raise KafkaException("_TIMED_OUT", f"committed() timed out after {timeout_ms} ms")
        offs = result["offsets"]
        return [TopicPartition(t, p, offs[(t, p)] if offs.get((t, p), -1) >= 0 else OFFSET_INVALID) for t, p in tps]

    def initial_position(self, key: TP, token: int, then: Callable[[int], None]) -> None:
        """Rule 3 for one partition: `then(offset)` with the committed offset, or -1."""
        self.fetch_committed((key,), lambda offs: then(offs.get(key, -1)))


def commit_args(consumer: "Consumer", message: Any, offsets: Any) -> tuple[tuple[TP, int], ...]:
    """What `commit(message=..., offsets=...)` commits (rule 2)."""
    if message is not None and offsets is not None:
        raise KafkaException("_INVALID_ARG", "commit() takes message or offsets, not both")
    if message is not None:
        return (((message.topic(), message.partition()), message.offset() + 1),)
    if offsets is not None:
        out = []
        for tp in offsets:
            if not isinstance(tp, TopicPartition):
                raise TypeError(f"commit(offsets=...) takes TopicPartition objects, got {tp!r}")
            if tp.offset < 0:
                raise KafkaException("_INVALID_ARG", f"commit: {tp.topic}-{tp.partition} has no offset to commit "
                                                     f"({tp.offset}); set TopicPartition(topic, partition, offset)")
            out.append(((tp.topic, tp.partition), tp.offset))
        return tuple(out)
    positions = [(tp, pos) for tp, pos in sorted(consumer.positions.items()) if pos is not None]
    if not positions:
        raise KafkaException("_NO_OFFSET", "commit(): no positions to commit (nothing consumed yet)")
    return tuple(positions)
