"""Where a new partition's replicas go (Kafka: `StripedReplicaPlacer`, `ClusterDescriber`;
kafka-semantics.md M.100-M.101).

Rules:
1. Usable brokers: every registered broker not in controlled shutdown. Fenced brokers may hold
   followers, never the first replica. Errors (INVALID_REPLICATION_FACTOR, before any record):
   a replication factor below 1, above the registered brokers, or every broker fenced.
2. Brokers are grouped by rack (`broker.rack`; a broker without one is in the "no rack" group,
   so with no racks at all this is the rack-unaware placement). Each rack keeps a sorted list of
   its unfenced and one of its fenced brokers, each starting at a random offset; racks are sorted
   by name ("no rack" first) and the first rack used is random.
3. Per partition: replica 1 is the next unfenced broker of the first rack, at or after the
   current rack, that has one left in this round; each further replica comes from the racks
   that follow in turn (skipping replica 1's rack once), unfenced before fenced. Then the rack
   offset moves on by one, and each broker list's offset moves on by one when it is next used
   in the following round: the stripes A0 B0 C0, B1 C1 A1, C2 A2 B2.
4. After as many partitions as there are unfenced brokers the racks and the brokers in each
   are shuffled, so that later partitions do not repeat the same lists.
5. The first replica is the preferred leader. All randomness comes from one seeded stream.
"""
from __future__ import annotations

import random
from typing import Sequence

from minikafka.errors import KafkaException

Usable = tuple[int, str | None, bool]         # (broker id, rack, fenced)


class _BrokerList:
    def __init__(self) -> None:
        self.brokers: list[int] = []
        self.index = self.offset = self.epoch = 0

    def initialize(self, rng: random.Random) -> None:
        if self.brokers:
            self.brokers.sort()
            self.offset = rng.randrange(len(self.brokers))

    def next(self, epoch: int) -> int:
        """The next broker of this round (`epoch`), or -1 when the round has used them all."""
        n = len(self.brokers)
        if n == 0:
            return -1
        if self.epoch != epoch:
            self.epoch, self.index, self.offset = epoch, 0, (self.offset + 1) % n
        if self.index >= n:
            return -1
        broker = self.brokers[(self.index + self.offset) % n]
        self.index += 1
        return broker


class _Rack:
    def __init__(self) -> None:
        self.unfenced, self.fenced = _BrokerList(), _BrokerList()

    def next(self, epoch: int) -> int:
        got = self.unfenced.next(epoch)
        return got if got >= 0 else self.fenced.next(epoch)


class _RackList:
    def __init__(self, rng: random.Random, usable: Sequence[Usable]) -> None:
        self.rng = rng
        self.racks: dict[str | None, _Rack] = {}
        for broker, rack, fenced in usable:
            r = self.racks.setdefault(rack, _Rack())
            (r.fenced if fenced else r.unfenced).brokers.append(broker)
        for name in sorted(self.racks, key=_rack_key):
            self.racks[name].unfenced.initialize(rng)
            self.racks[name].fenced.initialize(rng)
        self.names = sorted(self.racks, key=_rack_key)
        self.total = len(usable)
        self.unfenced = sum(1 for _, _, fenced in usable if not fenced)
        self.epoch = 0
        self.offset = rng.randrange(len(self.names)) if self.names else 0

    def place(self, rf: int) -> tuple[int, ...]:
        if self.epoch == self.unfenced and self.unfenced > 1:            # rule 4
            self.rng.shuffle(self.names)
            for name in sorted(self.racks, key=_rack_key):
                self.rng.shuffle(self.racks[name].unfenced.brokers)
                self.rng.shuffle(self.racks[name].fenced.brokers)
            self.epoch = 0
        if self.offset == len(self.names):
            self.offset = 0
        first = self.offset
        while True:
            got = self.racks[self.names[first]].unfenced.next(self.epoch)
            if got >= 0:
                out = [got]
                break
            first = (first + 1) % len(self.names)
        rack = self.offset
        for _ in range(1, rf):
            got = -1
            while got < 0:
                if rack == first:
                    first = -1
                else:
                    got = self.racks[self.names[rack]].next(self.epoch)
                rack = (rack + 1) % len(self.names)
            out.append(got)
        self.epoch += 1
        self.offset += 1
        return tuple(out)


def _rack_key(rack: str | None) -> tuple[bool, str]:
    return (rack is not None, rack or "")


def place(usable: Sequence[Usable], partitions: int, rf: int, rng: random.Random) -> list[tuple[int, ...]]:
    """Rules 1-5: the replica lists of `partitions` new partitions."""
    if rf < 1:
        raise KafkaException("INVALID_REPLICATION_FACTOR",
                             f"Invalid replication factor {rf}: the replication factor must be positive.")
    racks = _RackList(rng, usable)
    if racks.unfenced == 0:
        raise KafkaException("INVALID_REPLICATION_FACTOR", "All brokers are currently fenced.")
    if rf > racks.total:
        raise KafkaException("INVALID_REPLICATION_FACTOR",
                             f"The target replication factor of {rf} cannot be reached because only "
                             f"{racks.total} broker(s) are registered.")
    return [racks.place(rf) for _ in range(partitions)]
