"""A broker's replica fetchers: how followers copy their leaders' logs (kafka-semantics.md
D.19-D.21, D.27).

Rules:
1. A follower fetches with one Fetch request at a time per leader broker, for every partition
   it follows there, from its LEO and with its leader epoch and last fetched epoch. The leader
   learns the follower's LEO from that fetch offset (partition.py rule 2).
2. Fetched batches are appended at the follower's LEO (a batch it already holds in part is cut
   to the part it lacks); the HW comes from the response, capped at the follower's LEO. The
   producer state and the transaction index follow every append.
3. A response with `diverging_epoch` (KIP-279) makes the follower truncate to where that epoch
   ends on the leader (or at its own end of that epoch, if earlier), then rebuild its producer
   state and transaction index from the log. A follower with no epoch at or below the leader's
   answer holds nothing the leader vouches for: it truncates to where its own first epoch
   starts (Kafka's LeaderEpochFileCache.endOffsetFor answers the start of the first higher
   epoch). Without that, a replica whose first epoch the leader never had would truncate to
   its own end again and again.
4. A fetch that fails (timeout after `replica.socket.timeout.ms`, which closes the
   connection, a reset connection, or only errors) backs off `replica.fetch.backoff.ms` before
   the next one; an empty long poll is followed at once by the next.
5. The follower reports its log start in each fetch (the leader's low watermark, for
   DeleteRecords) and adopts the leader's log start from each answer, up to its own HW
   (kafka-semantics.md P.308). Retention then deletes the segments below it.
6. A follower whose LEO is below the leader's log start (it was away while retention deleted
   what it lacks) gets OFFSET_OUT_OF_RANGE: it empties its log and starts again at the leader's
   log start (Kafka: truncateFullyAndStartAt). Kafka's follower asks the leader's earliest and
   latest offsets with ListOffsets first; minikafka reads the log start from the error answer.
7. Tiered storage (kafka-semantics.md T.331; Kafka: `TierStateMachine`): a follower whose fetch
   offset lies below the leader's local log start gets OFFSET_MOVED_TO_TIERED_STORAGE. It stops
   fetching that partition and asks the leader for its EARLIEST_LOCAL offset (ListOffsets -4).
   With the answer it rebuilds its leader-epoch cache and producer state from the remote tier's
   metadata, empties its log and starts it at that offset (local log start = LEO = HW = it),
   with the leader's log start (from the error answer) as its own: it never downloads remote
   data, so it holds only the leader's local tail. Without an answer within
   `replica.socket.timeout.ms` (or with an error) it just fetches again.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.server.list_offsets import EARLIEST_LOCAL
from minikafka.storage.records import BATCH_OVERHEAD, RecordBatch, record_size

if TYPE_CHECKING:
    from minikafka.server.broker import Broker
    from minikafka.server.partition import Replica


class Fetcher:
    """The fetcher for one leader broker."""

    __slots__ = ("leader", "cid", "incarnation", "deadline", "watchdog", "backoff")

    def __init__(self, leader: int) -> None:
        self.leader = leader
        self.cid = 0            # correlation id of the fetch in flight, 0 if none
        self.incarnation = 0    # of the leader process that fetch went to
        self.deadline = 0       # when the fetch in flight times out
        self.watchdog = None    # one timer per fetcher, not one per fetch (most fetches are answered)
        self.backoff = None


class ReplicaFetcher:
    def __init__(self, broker: "Broker") -> None:
        self.b = broker
        self.fetchers: dict[int, Fetcher] = {}
        self.tiering: dict[tuple, tuple[int, int]] = {}    # tp -> (cid of its ListOffsets -4, leader's log start)

    def fetch_from(self, leader: int, daemon: bool = False) -> None:
        """Rule 1."""
        b = self.b
        f = self.fetchers.get(leader)
        if f is None:
            f = self.fetchers[leader] = Fetcher(leader)
        if f.cid or f.backoff is not None or not b.alive:
            return
        parts = [P.FetchPartition(tp, r.leo, r.leader_epoch, r.log.last_epoch(), r.log.log_start_offset)
                 for tp, r in sorted(b.replicas.items())
                 if r.leader == leader and not r.is_leader and tp not in self.tiering]
        if not parts:
            return
        b._cid += 1
        f.cid = b._cid
        req = P.FetchRequest(f.cid, b.id, b.cfg["replica.fetch.wait.max.ms"], 1,
                             b.cfg["replica.fetch.max.bytes"] * len(parts), parts)
        node = f"b{leader}"
        f.incarnation = b.net.nodes[node].incarnation
        b.send(node, req, daemon=daemon)
        timeout = b.cfg["replica.socket.timeout.ms"]
        f.deadline = b.sim.now + timeout
        if f.watchdog is None:
            f.watchdog = b.after(timeout, self._watch, f, daemon=True)

    def _watch(self, f: Fetcher) -> None:
        """The fetch in flight times out at its deadline; a later fetch's deadline re-arms."""
        f.watchdog = None
        if not f.cid:
            return
        now = self.b.sim.now
        if now < f.deadline:
            f.watchdog = self.b.after(f.deadline - now, self._watch, f, daemon=True)
            return
        f.cid = 0
        self.b.net.close(self.b.name, f"b{f.leader}")
        self._backoff(f)

    def _backoff(self, f: Fetcher) -> None:
        if f.backoff is None:
            f.backoff = self.b.after(self.b.cfg["replica.fetch.backoff.ms"], self._end_backoff, f, daemon=True)

    def _end_backoff(self, f: Fetcher) -> None:
        f.backoff = None
        self.fetch_from(f.leader, daemon=True)

    def on_disconnect(self, peer: str, incarnation: int) -> None:
        for f in self.fetchers.values():
            if f"b{f.leader}" == peer and f.cid and f.incarnation == incarnation:
                f.cid = 0
                self._backoff(f)

    def on_fetch_response(self, src: str, msg: P.FetchResponse) -> None:
        """Rules 2-4."""
        b = self.b
        leader = int(src[1:])
        f = self.fetchers.get(leader)
        if f is None or f.cid != msg.cid:
            return
        f.cid = 0
        appended = False
        errors = 0
        for res in msg.partitions:
            r = b.replicas.get(res.tp)
            if r is None or r.leader != leader or r.is_leader:
                continue
            if res.error is not None:
                if res.error == "OFFSET_OUT_OF_RANGE" and res.log_start_offset > r.leo:
                    self.truncate_fully(r, res.log_start_offset)
                    appended = True
                    continue
                if res.error == "OFFSET_MOVED_TO_TIERED_STORAGE":
                    self.fetch_earliest_local_offset(r, leader, res.log_start_offset)       # rule 7
                    continue
                errors += 1
                continue
            if res.diverging_epoch is not None:
                self.truncate(r, res.diverging_epoch)
                appended = True
                continue
            log = r.log
            for batch in res.batches:
                if batch.next_offset <= log.log_end_offset:
                    continue
                if batch.base_offset < log.log_end_offset:
                    batch = _tail(batch, log.log_end_offset)
                log.append_as_follower(batch, b.sim.now)
                r.on_appended(batch)
                appended = True
            hw = min(res.high_watermark, log.log_end_offset)
            if r.lost_tail and log.log_end_offset >= res.high_watermark:
                r.lost_tail = False
            if hw > r.hw:
                r.hw = hw
                r.txn.prune(hw)
                if b.replica_manager.parked.get(r.tp):      # consumers reading from this follower (KIP-392)
                    b.replica_manager.wake_parked(r.tp, hw_changed=True)
            if res.log_start_offset > log.log_start_offset and res.log_start_offset <= r.hw:
                log.increment_log_start(res.log_start_offset)        # rule 5
                b.log_manager.on_log_start_moved(r)
        if errors and not appended:
            self._backoff(f)
        else:
            self.fetch_from(leader, daemon=not appended)

    def truncate(self, r: "Replica", diverging: tuple[int, int]) -> None:
        """Rule 3."""
        epoch, end = diverging
        if epoch < 0:
            target = min(end, r.leo) if end >= 0 else r.hw
        else:
            mine, my_end = r.log.end_offset_for_epoch(epoch)
            if mine < 0:
                my_end = r.log.epochs[0][1] if r.log.epochs else r.leo
            target = min(end, my_end)
        target = max(target, 0)
        removed = r.log.truncate_to(target)
        r.hw = min(r.hw, r.leo)
        self.b.trace.state(self.b.sim.now, self.b.name, "truncate", tp=f"{r.tp[0]}-{r.tp[1]}", to=target,
                           removed=removed, leader_epoch=epoch)
        r.rebuild_state()

    def truncate_fully(self, r: "Replica", offset: int) -> None:
        """Rule 6: everything this follower holds lies below the leader's log start."""
        r.log.truncate_fully_and_start_at(offset, self.b.sim.now)
        r.hw = offset
        self.b.trace.state(self.b.sim.now, self.b.name, "truncate", tp=f"{r.tp[0]}-{r.tp[1]}", to=offset,
                           fully=True, why="below the leader's log start")
        r.rebuild_state()


    # -- rule 7 ---------------------------------------------------------------------------------
    def fetch_earliest_local_offset(self, r: "Replica", leader: int, leader_log_start: int) -> None:
        b = self.b
        b._cid += 1
        self.tiering[r.tp] = (b._cid, leader_log_start)
        b.send(f"b{leader}", P.ListOffsetsRequest(b._cid, [(r.tp, EARLIEST_LOCAL)]))
        b.after(b.cfg["replica.socket.timeout.ms"], self._tiering_timeout, r.tp, b._cid, daemon=True)

    def _tiering_timeout(self, tp: tuple, cid: int) -> None:
        pending = self.tiering.get(tp)
        if pending is not None and pending[0] == cid:
            del self.tiering[tp]
            r = self.b.replicas.get(tp)
            if r is not None and not r.is_leader and r.leader >= 0:
                self.fetch_from(r.leader, daemon=True)

    def on_list_offsets_response(self, src: str, msg: P.ListOffsetsResponse) -> None:
        b = self.b
        leader = int(src[1:])
        for tp, error, offset in msg.results:
            pending = self.tiering.get(tp)
            if pending is None or pending[0] != msg.cid:
                continue
            del self.tiering[tp]
            r = b.replicas.get(tp)
            if r is None or r.is_leader:
                continue
            if error is None and r.leader == leader and offset > r.leo:
                self.start_at_local_log_start(r, offset, pending[1])
            if r.leader >= 0:
                self.fetch_from(r.leader)

    def start_at_local_log_start(self, r: "Replica", offset: int, leader_log_start: int) -> None:
        """Rule 7 (Kafka: buildRemoteLogAuxState, then truncateFullyAndStartAt)."""
        b = self.b
        epochs, headers = b.remote_storage.aux_state(r.tp, offset, leader_log_start)
        log = r.log
        log.truncate_fully_and_start_at(offset, b.sim.now, leader_log_start)
        log.epochs, log.retained_headers = epochs, headers
        r.hw = offset
        b.trace.state(b.sim.now, b.name, "truncate", tp=f"{r.tp[0]}-{r.tp[1]}", to=offset, fully=True,
                      why="offset moved to tiered storage", log_start=log.log_start_offset)
        r.rebuild_state()


def _tail(b: Any, start: int) -> RecordBatch:
    """The part of batch `b` from offset `start` on (a follower already holds the rest)."""
    recs = b.records[start - b.base_offset:]
    size = BATCH_OVERHEAD + sum(record_size(x.key, x.value, x.headers) for x in recs)
    seq = b.base_sequence + (start - b.base_offset) if b.base_sequence >= 0 else b.base_sequence
    return RecordBatch(recs, size, start, b.leader_epoch, b.producer_id, b.producer_epoch, seq,
                       b.transactional, b.control, b.max_timestamp, b.log_append_time)
