"""The records of the modern group types (consumer groups, KIP-848; share groups, KIP-932) on the
group coordinator: each group is one record, "<prefix>/<group>" (JSON), in its
`__consumer_offsets` partition (Kafka writes several record types per group; one snapshot record
is this model's simplification).

Rules:
1. A change is answered once its record is replicated (Kafka's coordinator runtime answers after
   the commit).
2. A failed write puts the group back as last written, or removes it if it was never written
   (Kafka reverts its in-memory state to the last committed offset). A write that succeeds after
   such a revert is in the log, so the group is reloaded from it.
3. Loading a record (a new coordinator, or a revert) replaces the group and starts every
   member's timers again; a tombstone (no value) removes it. A group id names one group type:
   loading one type drops a classic group of that id (the later record of a converted group
   wins).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from minikafka.coordinator.group.group_coordinator import GroupCoordinator


class Refused(Exception):
    """A heartbeat refused with Kafka's error (and its message), before anything changed."""
    def __init__(self, error: str, message: str = "") -> None:
        super().__init__(error)
        self.error, self.message = error, message


class ModernGroups:
    def __init__(self, gc: "GroupCoordinator", prefix: str, parse: Callable[[str, bytes], Any],
                 start: Callable[[Any], None], stop: Callable[[Any], None]) -> None:
        self.gc, self.prefix, self.parse, self.start, self.stop = gc, prefix, parse, start, stop
        self.groups: dict[str, Any] = {}
        self.written: dict[str, bytes] = {}             # each group's record as last written

    def unchanged(self, g: Any) -> bool:
        return g.record_value() == self.written.get(g.group_id)

    def persist(self, group_id: str, then: Callable[[str | None], None]) -> None:
        """Rules 1 and 2."""
        gc = self.gc
        g = self.groups.get(group_id)
        if g is None:
            return then(None)
        value = g.record_value()

        def written(err: str | None) -> None:
            now = self.groups.get(group_id)
            if err is None:
                if now is not None and now is not g:        # reverted meanwhile: the log has this one
                    self.load(group_id, value)
                elif now is g:
                    self.written[group_id] = value
            elif now is not None and gc.owner_error(group_id) is None:
                self.load(group_id, self.written.get(group_id))
            then(err)
        gc.write(gc.partition_of(group_id), [(f"{self.prefix}/{group_id}", value)], written)

    def load(self, group_id: str, value: bytes | None) -> None:
        """Rule 3."""
        old = self.groups.pop(group_id, None)
        if old is not None:
            self.stop(old)
        if value is None:
            self.written.pop(group_id, None)
            return
        g = self.parse(group_id, value)
        self.gc.drop_group(group_id)
        self.written[group_id] = value
        self.groups[group_id] = g
        self.start(g)

    def unload(self, partition: int) -> None:
        for group_id in sorted(self.groups):
            if self.gc.partition_of(group_id) == partition:
                self.load(group_id, None)
