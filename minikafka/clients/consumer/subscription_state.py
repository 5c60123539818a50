"""What the consumer knows about each partition it reads (Kafka's SubscriptionState): the
assignment, the positions, and where fetching each partition stands. It holds state only: the
requests that change it are `fetcher.py`'s and `offset_fetcher.py`'s.

Rules (the numbers are the consumer's, stated where they are implemented; rule 1 in
offset_fetcher.py defines the position):
- Manual assignment (`assign()`) replaces the assignment and forgets every position; an
  assignment from the group (consumer_coordinator.py M3) keeps the positions, and the fetch,
  reset and validation state, of the partitions it keeps.
- A position (the next record to return) and a fetch offset (where the next fetch starts) move
  apart while fetched records wait in the buffer (fetcher.py rule 2); seeking sets both and
  ends any reset or validation under way.
- `to_fetch` holds the partitions the fetcher must look at again (fetcher.py rule 7): every
  partition after an assignment, and a partition whose position is sought or forgotten. Code
  that ends a partition's reset or validation, or sets its fetch offset, adds it too (the
  fetcher sets such partitions aside until then). `order` is each assigned partition's place in
  `assigned`, the order the fetcher looks at them in.
"""
from __future__ import annotations

TP = tuple[str, int]


class SubscriptionState:
    def __init__(self) -> None:
        self.assigned: list[TP] = []
        self.positions: dict[TP, int | None] = {}
        self.fetch_offsets: dict[TP, int] = {}
        self.high_watermarks: dict[TP, int] = {}          # the HW, or the LSO under read_committed
        self.resetting: dict[TP, int] = {}                # tp -> cid of ListOffsets
        self.backoff: dict[TP, int] = {}                  # tp -> time fetching may resume
        self.position_epochs: dict[TP, int] = {}          # epoch of the last consumed record
        self.seen_epochs: dict[TP, int] = {}              # leader epoch in our metadata
        self.validating: dict[TP, int] = {}               # tp -> cid of its validation (0: to send)
        self.order: dict[TP, int] = {}                    # tp -> its place in `assigned`
        self.to_fetch: dict[TP, None] = {}                # for the fetcher to look at (fetcher.py rule 7)

    def _set_assigned(self, tps: list[TP]) -> None:
        self.assigned = tps
        self.order = {}
        for i, tp in enumerate(tps):
            self.order.setdefault(tp, i)
        self.to_fetch = dict.fromkeys(tps)

    def assign(self, tps: list[TP]) -> None:
        """Manual assignment: these partitions, none with a position yet."""
        self._set_assigned(tps)
        self.positions = {}
        self.fetch_offsets = {}

    def assign_from_group(self, tps: tuple[TP, ...]) -> None:
        """The group's assignment: keep what we know of the partitions we keep."""
        keep = set(tps)
        for d in (self.positions, self.fetch_offsets, self.position_epochs, self.validating, self.resetting,
                  self.backoff):
            for tp in [tp for tp in d if tp not in keep]:
                del d[tp]
        self._set_assigned(list(tps))
        for tp in tps:
            self.positions.setdefault(tp, None)

    def seek(self, key: TP, offset: int) -> None:
        self.position_epochs.pop(key, None)
        self.validating.pop(key, None)
        self.positions[key] = offset
        self.fetch_offsets[key] = offset
        self.resetting.pop(key, None)
        self.to_fetch[key] = None

    def forget_position(self, key: TP) -> None:
        """No position until a reset finds one."""
        self.positions[key] = None
        self.position_epochs.pop(key, None)
        self.validating.pop(key, None)
        self.fetch_offsets.pop(key, None)
        self.to_fetch[key] = None

    def assigned_text(self) -> str:
        return ", ".join(f"{t}-{p}" for t, p in self.assigned) or "none"
