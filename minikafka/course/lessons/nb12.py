"""References for notebook 12, queues: share groups (KIP-932; kafka-semantics.md O.232, O.234).

Rules:
1. What happens to one acquired record (`next_state`): ACCEPT makes it Acknowledged and REJECT
   Archived, for good; RELEASE, or its lock expiring, makes it Available again, unless it has
   been delivered `delivery_limit` times already (`group.share.delivery.count.limit`, 5): then
   it is Archived, never delivered again. The reference is the share-partition's own rule
   (server/share/share_partition.py), run on one record.
2. Which members fetch from which partitions (`share_assignment`): the `simple` assignor of
   coordinator/group/share_group.py (its rule 3).
"""
from __future__ import annotations

from typing import Sequence

from minikafka.coordinator.group.share_group import ShareMember, simple_assign
from minikafka.protocol.share_groups import ACCEPT, REJECT, RELEASE, STATE_NAMES
from minikafka.server.share.share_partition import SharePartition

ACTIONS = {"ACCEPT": ACCEPT, "RELEASE": RELEASE, "REJECT": REJECT}


def next_state(delivery_count: int, action: str, delivery_limit: int = 5) -> str:
    """Rule 1: the state of a record delivered `delivery_count` times (it is Acquired now) after
    `action`: "ACCEPT", "RELEASE", "REJECT" or "LOCK_EXPIRED"."""
    sp = SharePartition(0, delivery_limit, 100)
    count = 0
    while True:
        count = sp.acquire("m", 1, 1, lambda _: True, count)[0][1]
        if count == delivery_count:
            break
        sp.acknowledge("m", ((0, 0, RELEASE),))
    if action == "LOCK_EXPIRED":
        sp.expire_lock(count - 1)
    else:
        sp.acknowledge("m", ((0, 0, ACTIONS[action]),))
    state = sp.records[0][0] if 0 in sp.records else None
    return STATE_NAMES[state] if state is not None else "Acknowledged" if action == "ACCEPT" else "Archived"


def share_assignment(members: Sequence[str], partitions: int) -> dict[str, list[int]]:
    """Rule 2 for one topic "t": member id -> the partitions it fetches from, sorted."""
    out = simple_assign([ShareMember(m, topics=("t",)) for m in members], {"t": partitions})
    return {m: [p for _, p in tps] for m, tps in out.items()}
