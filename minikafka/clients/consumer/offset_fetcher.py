"""Where the consumer reads from (Kafka's OffsetFetcher, and the committed-offset lookup of
its ConsumerCoordinator): positions found by the group's committed offset or reset with
ListOffsets, set by seek, and validated with OffsetsForLeaderEpoch when the leader changes.

Rules (kafka-semantics.md A.2, H.51, H.54; the numbers are the consumer's, stated where they
are implemented: 2-4, 6 and 7 in fetcher.py, 5 in consumer.py):
1. The consumer owns its position per partition: the offset of the next record to return.
   A partition without a position is reset by `auto.offset.reset` (earliest: log start;
   latest: the HW, or the LSO under read_committed; none: an error) via ListOffsets.
   With a group.id it first asks for the group's committed offset (consumer_coordinator.py
   offset rule 3).
4b. When a partition's leader epoch changes, the consumer validates its position (KIP-320):
   OffsetsForLeaderEpoch asks the new leader where the epoch of the last consumed record ends;
   if that is below the position, the log was truncated: with a reset policy the position moves
   back to that point, without one (`none`) poll raises _LOG_TRUNCATION.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.errors import KafkaError, KafkaException

if TYPE_CHECKING:
    from minikafka.clients.consumer.consumer import Consumer


class OffsetFetcher:
    def __init__(self, consumer: "Consumer") -> None:
        self.c = consumer
        self.subscriptions = consumer.subscriptions

    # -- setting and resetting positions (rule 1) -----------------------------------------------
    def set_position(self, key: tuple[str, int], offset: int) -> None:
        self.c.fetcher.drop_buffers(lambda tp: tp == key)
        self.subscriptions.seek(key, offset)

    def start_reset(self, key: tuple[str, int], policy: str) -> None:
        c = self.c
        c.fetcher.drop_buffers(lambda tp: tp == key)
        self.subscriptions.forget_position(key)
        if policy == "none":
            c.error = KafkaException("_AUTO_OFFSET_RESET",
                                     f"{key[0]}-{key[1]}: no valid position and auto.offset.reset=none")
            return
        ts = -2 if policy == "earliest" else -1
        token = c.next_cid()
        self.subscriptions.resetting[key] = token
        self.list_offsets(key, ts, lambda off: self._reset_done(key, token, off, policy))

    def _reset_done(self, key: tuple[str, int], token: int, offset: int, policy: str) -> None:
        c, s = self.c, self.subscriptions
        if s.resetting.get(key) != token:
            return
        del s.resetting[key]
        s.positions[key] = offset
        s.fetch_offsets[key] = offset
        s.to_fetch[key] = None                  # fetcher.py rule 7
        c.trace.state(c.sim.now, c.name, "offset.reset", tp=f"{key[0]}-{key[1]}", policy=policy,
                      offset=offset)
        c.fetcher.send_fetches()

    def list_offsets(self, key: tuple[str, int], ts: int, done: Any) -> int:
        """ListOffsets for one partition (ts -2: the log start, -1: the end, >= 0: by timestamp); `done(offset)`.
        Errors refresh metadata and retry after `retry.backoff.ms`."""
        c = self.c
        cid = c.next_cid()
        leader, _ = c.leader_of(key)
        if leader < 0:
            c.request_metadata()
            c.after(c.cfg["retry.backoff.ms"], self._retry_list_offsets, key, ts, done, cid)
            return cid

        def on_response(resp: P.ListOffsetsResponse) -> None:
            _, err, off = resp.results[0]
            if err is None:
                done(off)
            else:
                c.request_metadata()
                c.after(c.cfg["retry.backoff.ms"], self._retry_list_offsets, key, ts, done, cid)

        def on_error(err: KafkaError) -> None:
            c.after(c.cfg["retry.backoff.ms"], self._retry_list_offsets, key, ts, done, cid)

        c.request(leader, P.ListOffsetsRequest(cid, [(key, ts)], c.isolation), on_response, on_error)
        return cid

    def _retry_list_offsets(self, key: tuple[str, int], ts: int, done: Any, cid: int) -> None:
        if not self.c.closed:
            self.list_offsets(key, ts, done)

    def initial_position(self, key: tuple[str, int]) -> None:
        """A partition without a position: the group's committed offset if there is one (with a
        group.id), else reset by `auto.offset.reset`."""
        c = self.c
        if not c.coordinator.group_id:
            self.start_reset(key, c.cfg["auto.offset.reset"])
            return
        token = c.next_cid()
        self.subscriptions.resetting[key] = token
        c.coordinator.initial_position(key, token, lambda off: self._committed_done(key, token, off))

    def _committed_done(self, key: tuple[str, int], token: int, offset: int) -> None:
        c, s = self.c, self.subscriptions
        if s.resetting.get(key) != token:
            return
        del s.resetting[key]
        if offset < 0:
            self.start_reset(key, c.cfg["auto.offset.reset"])
            return
        s.positions[key] = offset
        s.fetch_offsets[key] = offset
        s.to_fetch[key] = None                  # fetcher.py rule 7
        c.trace.state(c.sim.now, c.name, "offset.committed", tp=f"{key[0]}-{key[1]}", offset=offset)
        c.fetcher.send_fetches()

    # -- position validation (rule 4b, KIP-320) ------------------------------------------------
    def on_metadata(self) -> None:
        """New metadata: a partition whose leader epoch went up validates its position before
        it fetches again."""
        c, s = self.c, self.subscriptions
        for key in s.assigned:
            epoch = c.leader_of(key)[1]
            seen = s.seen_epochs.get(key)
            s.seen_epochs[key] = epoch
            if seen is not None and epoch > seen and key in s.position_epochs and key not in s.validating:
                s.validating[key] = 0
                c.fetcher.drop_buffers(lambda tp, key=key: tp == key)
                if s.positions.get(key) is not None:
                    s.fetch_offsets[key] = s.positions[key]

    def validate(self, key: tuple[str, int]) -> bool:
        """Send the validation; False if no leader is known to send it to."""
        c = self.c
        leader, epoch = c.leader_of(key)
        if leader < 0:
            return False
        cid = c.next_cid()
        self.subscriptions.validating[key] = cid
        req = P.OffsetsForLeaderEpochRequest(cid, [(key, epoch, self.subscriptions.position_epochs[key])])
        c.request(leader, req, lambda resp: self._validated(key, cid, resp),
                  lambda err: self._validation_failed(key, cid))
        return True

    def _validation_failed(self, key: tuple[str, int], cid: int) -> None:
        if self.subscriptions.validating.get(key) == cid:
            self.subscriptions.validating[key] = 0
            self.c.fetcher.back_off(key)

    def _validated(self, key: tuple[str, int], cid: int, resp: P.OffsetsForLeaderEpochResponse) -> None:
        c, s = self.c, self.subscriptions
        if s.validating.get(key) != cid:
            return
        _, err, _, end = resp.results[0]
        if err is not None:
            c.request_metadata()
            self._validation_failed(key, cid)
            return
        del s.validating[key]
        s.to_fetch[key] = None                  # fetcher.py rule 7
        position = s.positions.get(key)
        if position is not None and end < position:
            c.trace.state(c.sim.now, c.name, "log.truncation", tp=f"{key[0]}-{key[1]}",
                          position=position, to=end)
            if c.cfg["auto.offset.reset"] == "none":
                c.error = KafkaException("_LOG_TRUNCATION", f"Truncation detected for {key[0]}-{key[1]}: "
                                         f"position {position}, the log now diverges at {end}")
                s.fetch_offsets.pop(key, None)
                return
            self.set_position(key, end)
        c.fetcher.send_fetches()
