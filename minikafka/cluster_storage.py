"""The Cluster's side of storage (a part of cluster.py's Cluster): each replica's segments, the
log start offset, DeleteRecords and ListOffsets.

Rules (cluster.py has the rest):
1. `segments(topic, partition)` shows every replica's segments as they are now (a snapshot):
   base offset, size in bytes, largest record timestamp, and whether it is the active segment.
   Replicas segment their logs independently (storage/log.py), so their boundaries may differ.
2. `delete_records` and `list_offsets` are the admin client's calls (clients/admin/records.py):
   requests to each partition's leader, waited for in virtual time.
3. Tiered storage (kafka-semantics.md T.326-328): a tiered replica's view lists remote segments
   (where="remote") before its local ones; they may overlap, since a local segment stays until
   local retention deletes it after its upload. The leader shows every segment of the cluster's
   object store (storage/remote_storage.py); a follower those ending at or below the highest
   offset it knows is uploaded (its RLMFollowerTask learns it at its interval).
4. `Cluster(remote_storage_latency_ms=100)`: the object store's latency, how long a consumer
   fetch below the local log start waits for its data (an integer >= 0; Kafka has no such key:
   it is the store's). `remote_storage` is that store, shared by every broker and surviving
   their crashes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

from minikafka.cluster_args import check_partition

if TYPE_CHECKING:
    from minikafka.clients.admin.admin_client import AdminClient
    from minikafka.clients.admin.records import ListOffsetsResultInfo
    from minikafka.server.broker import Broker
    from minikafka.storage.remote_storage import RemoteStorage


@dataclass(frozen=True)
class SegmentView:
    """One segment of one replica's log."""

    base_offset: int
    end_offset: int             # the next segment's base offset, or the LEO for the active one
    size: int                   # bytes
    largest_timestamp: int      # -1: no record yet
    active: bool
    where: str = "local"        # "local", or "remote" for a segment in the remote tier

    def __str__(self) -> str:
        kind = "active" if self.active else self.where
        return (f"[{self.base_offset}..{self.end_offset}) {self.size} B, newest record at "
                f"{self.largest_timestamp} ms ({kind})")


class StorageViews:
    admin: Callable[[], "AdminClient"]
    brokers: dict[int, "Broker"]
    _topic: Callable[[str], Any]
    controller: Any
    remote_storage: "RemoteStorage"

    def segments(self, topic: str, partition: int) -> dict[int, list[SegmentView]]:
        """Rule 1: {broker: its replica's segments, oldest first} for every replica that exists."""
        self._topic(topic)
        states = self.controller.topics[topic]
        st = states[check_partition(topic, partition, len(states))]
        out: dict[int, list[SegmentView]] = {}
        for b in st.replicas:
            r = self.brokers[b].replicas.get(st.tp)
            if r is None:
                continue
            log = r.log
            n = len(log.segments)
            remote = [SegmentView(s.base_offset, s.end_offset + 1, s.size, s.max_timestamp, False, "remote")
                      for s in self.remote_storage.segments(st.tp) if log.remote_log_enabled
                      and (r.is_leader or s.end_offset <= log.highest_offset_in_remote_storage)]      # rule 3
            out[b] = remote + [SegmentView(s.base_offset, log.segment_end(i), s.size, s.largest_timestamp, i == n - 1)
                               for i, s in enumerate(log.segments)]
        return out

    def delete_records(self, topic: str, offsets: Mapping[int, int]) -> dict[int, int]:
        """Kafka's `kafka-delete-records.sh`: move each partition's log start to the offset given
        (-1: its high watermark). Returns {partition: low watermark}."""
        self._topic(topic)
        if not isinstance(offsets, Mapping):
            raise TypeError(f"delete_records: offsets must be a dict of partition -> offset, got {offsets!r}")
        futures = self.admin().delete_records({(topic, p): off for p, off in offsets.items()})
        return {p: f.result().low_watermark for (_, p), f in futures.items()}

    def list_offsets(self, topic: str, partition: int, spec: Any = "latest",
                     isolation_level: str = "read_uncommitted") -> "ListOffsetsResultInfo":
        """Kafka's `kafka-get-offsets.sh`: the offset of one partition for a spec ("earliest",
        "latest", "max_timestamp", ...) or a timestamp in ms."""
        self._topic(topic)
        return self.admin().list_offsets({(topic, partition): spec}, isolation_level)[(topic, partition)].result()
