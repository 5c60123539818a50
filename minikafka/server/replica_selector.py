"""Which replica a consumer should read from (KIP-392; Kafka: `ReplicaSelector`,
`RackAwareReplicaSelector`, `ReplicaManager.findPreferredReadReplica`; kafka-semantics.md
M.104-M.105).

Rules:
1. Only the leader chooses, only with `replica.selector.class` set on the broker, and only for
   a consumer's fetch that names its `client.rack`. Choosing the leader means "read here".
2. Candidates: the leader, and the followers in the ISR whose log reaches the fetch offset (as
   far as the leader knows from their fetches), on brokers that are registered and unfenced.
3. RackAwareReplicaSelector: an empty `client.rack`, no candidate in that rack, or the leader in
   that rack: the leader. Otherwise the candidate in that rack with the highest log end offset,
   then the most recently caught up, then the highest broker id.
4. The leader then answers that partition with no records and the chosen replica's id; the
   consumer fetches from it until `metadata.max.age.ms` passes or it fails, and the follower
   serves it up to the follower's own high watermark (last stable offset for read_committed).
"""
from __future__ import annotations

from typing import Mapping

RACK_AWARE = "org.apache.kafka.common.replica.RackAwareReplicaSelector"


def select_read_replica(client_rack: str, leader: int, candidates: Mapping[int, tuple[int, int]],
                        racks: Mapping[int, str | None]) -> int:
    """Rule 3. `candidates`: broker -> (log end offset, last caught-up time), leader included."""
    if not client_rack:
        return leader
    local = [b for b in candidates if racks.get(b) == client_rack]
    if not local or leader in local:
        return leader
    return max(local, key=lambda b: (candidates[b][0], candidates[b][1], b))
