"""A share-partition (KIP-932): the in-flight records of one (share group, topic-partition), kept in
memory by the partition leader (Kafka: `SharePartition.java`: `acquire`, `acknowledge`,
`releaseAcquisitionLockOnTimeout`, `releaseAcquiredRecords`, `InFlightState`,
`maybeUpdateCachedStateAndOffsets`, `updateCacheAndOffsets`; kafka-semantics.md O.233-O.242).

Rules:
1. States: Available(0), Acquired(1), Acknowledged(2), Archived(4). Acknowledged and Archived are
   terminal. Allowed moves: Available->Acquired; Acquired->Available/Acknowledged/Archived. Anything
   else is refused (`InFlightState.tryUpdateState`).
2. The leader tracks the records in [SPSO, SPEO]; `next_offset` = SPEO + 1 is the first offset never
   acquired. Every offset in [spso, next_offset) has a record.
3. Acquisition (`acquire`) takes the lowest offsets first, at most `max_records` of them, below
   `end_offset` (the HW, or the LSO for read_committed): first the Available records already in
   the window, then new offsets from `next_offset` upward. Each Available->Acquired adds 1 to the
   record's delivery count (the first delivery has count 1) and remembers the member and the
   caller's acquisition-lock id.
4. The window is capped: a new offset is taken only while next_offset - spso < max_record_locks
   (`canAcquireRecords`). Re-acquiring Available records already in the window is always allowed.
5. A new offset that is not deliverable (a gap: a control record such as a transaction marker, or
   a hole) becomes Archived with delivery count 0 without being delivered, and does not count
   towards `max_records`.
6. Acknowledgement (`acknowledge`): ACCEPT -> Acknowledged; REJECT -> Archived; RELEASE -> Available.
   It is atomic per partition: if any acknowledged offset at or above the SPSO is not Acquired by
   this member (another member's, Available, terminal, never acquired, or named twice), nothing
   changes and the answer is INVALID_RECORD_STATE. A range wholly below the SPSO is
   INVALID_RECORD_STATE too (its records were finished by someone: Kafka's `acknowledge`
   refuses such a batch); a range that straddles the SPSO is trimmed to it. A malformed range
   or an unknown type is INVALID_REQUEST.
7. The delivery-count limit: a move back to Available (RELEASE, lock expiry, a member's release)
   becomes Archived instead when the count >= `delivery_limit`.
8. Lock expiry (`releaseAcquisitionLockOnTimeout`) and a closing member (`releaseAcquiredRecords`)
   act like RELEASE on the records still Acquired under that lock or by that member. The delivery
   count is not given back (KAFKA-19972).
9. The SPSO advances over the contiguous prefix of terminal records, which leave the window
   (`maybeUpdateCachedStateAndOffsets`). It never moves back.
10. If the log start offset moves past the SPSO (retention, DeleteRecords), the records below it
    leave the window (Available ones are thereby Archived) and the SPSO jumps to the log start
    (`updateCacheAndOffsets`); next_offset is at least the log start.
11. Persistence (WriteShareGroupState) writes runs of equal (state, count) over [spso, next_offset);
    acquisitions are not persisted, so an Acquired record is written as Available with its count.
    A new leader rebuilds from those batches: every record keeps its state and count, except that
    one written Available at the delivery limit comes back Archived (rule 7: it was being delivered
    for the last time when the old leader failed).
"""
from __future__ import annotations

from typing import Callable, Collection, Sequence

from minikafka.protocol.share_groups import (ACCEPT, ACKNOWLEDGED, ACQUIRED, ARCHIVED, AVAILABLE, REJECT,
                                             RELEASE, STATE_NAMES)

INVALID_RECORD_STATE = "INVALID_RECORD_STATE"
INVALID_REQUEST = "INVALID_REQUEST"
TERMINAL = (ACKNOWLEDGED, ARCHIVED)

# A record is a list [state, delivery_count, member_id or None, lock_id or None]; indexes:
STATE, COUNT, MEMBER, LOCK = 0, 1, 2, 3


class SharePartition:
    def __init__(self, start_offset: int, delivery_limit: int, max_record_locks: int) -> None:
        self.spso = start_offset
        self.next_offset = start_offset
        self.delivery_limit = delivery_limit
        self.max_record_locks = max_record_locks
        self.records: dict[int, list] = {}

    # --- acquisition (rules 3-5) ---------------------------------------------------------------

    def acquire(self, member_id: str, max_records: int, end_offset: int,
                deliverable: Callable[[int], bool] | Collection[int], lock_id: int) -> list[tuple[int, int]]:
        """Rules 3-5. Returns (offset, delivery count) of the records the member now holds, ascending."""
        is_deliverable = deliverable if callable(deliverable) else deliverable.__contains__
        out: list[tuple[int, int]] = []
        for offset in range(self.spso, min(self.next_offset, end_offset)):
            if len(out) >= max_records:
                return out
            rec = self.records[offset]
            if rec[STATE] == AVAILABLE:
                self._take(offset, rec, member_id, lock_id, out)
        while (len(out) < max_records and self.next_offset < end_offset
               and self.next_offset - self.spso < self.max_record_locks):
            offset = self.next_offset
            self.next_offset += 1
            if is_deliverable(offset):
                self.records[offset] = rec = [AVAILABLE, 0, None, None]
                self._take(offset, rec, member_id, lock_id, out)
            else:
                self.records[offset] = [ARCHIVED, 0, None, None]
                self._advance()     # a gap at the SPSO frees its place in the window at once
        return out

    @staticmethod
    def _take(offset: int, rec: list, member_id: str, lock_id: int, out: list[tuple[int, int]]) -> None:
        rec[STATE], rec[MEMBER], rec[LOCK] = ACQUIRED, member_id, lock_id
        rec[COUNT] += 1
        out.append((offset, rec[COUNT]))

    # --- acknowledgement and release (rules 6-8) -----------------------------------------------

    def acknowledge(self, member_id: str, acks: Sequence[tuple[int, int, int]]) -> str | None:
        """Rule 6: all or nothing. Returns None, INVALID_RECORD_STATE or INVALID_REQUEST."""
        planned: dict[int, int] = {}        # offset -> ack type, validated before anything changes
        for first, last, ack_type in acks:
            if first > last or ack_type not in (ACCEPT, RELEASE, REJECT):
                return INVALID_REQUEST
            if last < self.spso:            # wholly below the start: not this member's to acknowledge
                return INVALID_RECORD_STATE
            for offset in range(max(first, self.spso), last + 1):
                rec = self.records.get(offset)
                if rec is None or rec[STATE] != ACQUIRED or rec[MEMBER] != member_id or offset in planned:
                    return INVALID_RECORD_STATE
                planned[offset] = ack_type
        for offset, ack_type in planned.items():
            rec = self.records[offset]
            if ack_type == ACCEPT:
                rec[STATE], rec[MEMBER], rec[LOCK] = ACKNOWLEDGED, None, None
            elif ack_type == REJECT:
                rec[STATE], rec[MEMBER], rec[LOCK] = ARCHIVED, None, None
            else:
                self._release(rec)
        self._advance()
        return None

    def expire_lock(self, lock_id: int) -> list[int]:
        """Rule 8 (`releaseAcquisitionLockOnTimeout`): the offsets still Acquired under `lock_id`."""
        return self._release_where(LOCK, lock_id)

    def release_member(self, member_id: str) -> list[int]:
        """Rule 8 (`releaseAcquiredRecords`, a consumer closing): the offsets `member_id` held."""
        return self._release_where(MEMBER, member_id)

    def _release_where(self, field: int, value: object) -> list[int]:
        released = []
        for offset in range(self.spso, self.next_offset):
            rec = self.records[offset]
            if rec[STATE] == ACQUIRED and rec[field] == value:
                self._release(rec)
                released.append(offset)
        self._advance()
        return released

    def _release(self, rec: list) -> None:
        """Rule 7."""
        rec[STATE] = ARCHIVED if rec[COUNT] >= self.delivery_limit else AVAILABLE
        rec[MEMBER] = rec[LOCK] = None

    # --- the start offset (rules 9-10) ---------------------------------------------------------

    def _advance(self) -> None:
        """Rule 9 (`maybeUpdateCachedStateAndOffsets`)."""
        while self.spso < self.next_offset and self.records[self.spso][STATE] in TERMINAL:
            del self.records[self.spso]
            self.spso += 1

    def move_start(self, log_start: int) -> None:
        """Rule 10 (`updateCacheAndOffsets`)."""
        if log_start <= self.spso:
            return
        for offset in range(self.spso, min(log_start, self.next_offset)):
            del self.records[offset]
        self.spso = log_start
        self.next_offset = max(self.next_offset, log_start)
        self._advance()

    # --- persistence (rule 11) and the learner's view ------------------------------------------

    def state_batches(self) -> tuple[tuple[int, int, int, int], ...]:
        """Rule 11: (first, last, state, count) runs over [spso, next_offset); Acquired written Available."""
        batches: list[list[int]] = []
        for offset in range(self.spso, self.next_offset):
            state, count = self.records[offset][STATE], self.records[offset][COUNT]
            if state == ACQUIRED:
                state = AVAILABLE
            if batches and batches[-1][1] == offset - 1 and batches[-1][2:] == [state, count]:
                batches[-1][1] = offset
            else:
                batches.append([offset, offset, state, count])
        return tuple((a, b, s, c) for a, b, s, c in batches)

    @classmethod
    def from_state(cls, start_offset: int, batches: Sequence[tuple[int, int, int, int]],
                   delivery_limit: int, max_record_locks: int) -> SharePartition:
        """Rule 11. Offsets in [start_offset, last] that no batch names come back Available, count 0."""
        sp = cls(start_offset, delivery_limit, max_record_locks)
        given: dict[int, tuple[int, int]] = {}
        for first, last, state, count in sorted(batches):
            if state in (ACQUIRED, AVAILABLE):
                state = ARCHIVED if count >= delivery_limit else AVAILABLE
            for offset in range(max(first, start_offset), last + 1):
                given[offset] = (state, count)
        sp.next_offset = max([start_offset] + [last + 1 for _, last, _, _ in batches])
        for offset in range(start_offset, sp.next_offset):
            state, count = given.get(offset, (AVAILABLE, 0))
            sp.records[offset] = [state, count, None, None]
        sp._advance()
        return sp

    def in_flight(self) -> list[tuple[int, str, int, str | None]]:
        """(offset, state name, delivery count, member) over [spso, next_offset), ascending."""
        return [(offset, STATE_NAMES[self.records[offset][STATE]], self.records[offset][COUNT],
                 self.records[offset][MEMBER]) for offset in range(self.spso, self.next_offset)]
