"""Small helpers shared by the scenario and property tests."""
from __future__ import annotations

from minikafka import Cluster, TopicPartition
from minikafka.course.lessons.nb06 import lose_the_third_of_five


class Deliveries:
    """Collects delivery reports: `ok` maps value -> offset, `failed` maps value -> error name."""

    def __init__(self) -> None:
        self.ok: dict[bytes, int] = {}
        self.failed: dict[bytes, str] = {}

    def __call__(self, err, msg) -> None:
        if err is None:
            self.ok[msg.value()] = msg.offset()
        else:
            self.failed[msg.value()] = err.name()


def values(c: Cluster, topic: str = "t", partition: int = 0, broker: int | None = None) -> list[bytes]:
    return [v for _, _, v in c.log(topic, partition, broker)]


def read_all(c: Cluster, topic: str = "t", partition: int = 0, timeout: float = 2.0) -> list[bytes]:
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition(topic, partition)])
    out = []
    while True:
        got = k.consume(1000, timeout)
        if not got:
            break
        out.extend(m.value() for m in got)
    k.close()
    return out


def leader_and_followers(c: Cluster, topic: str = "t", partition: int = 0) -> tuple[int, list[int]]:
    st = c.partition_state(topic, partition)
    return st.leader, [r.broker for r in st.replicas if r.broker != st.leader]


def lose_third_of_five_requests(c: Cluster, p) -> None:
    """m0 and m1 land; then m2, m3 and m4 go out as three requests at the same moment and the
    one carrying m2 is lost. Over TCP that breaks the connection: m3 and m4, in flight on it,
    are lost too, and the producer retries all three (network.py; notebook 06's schedule)."""
    lose_the_third_of_five(c, p, "t", "m")


# -- the admin client's futures, resolved the way a test reads them -------------------------------
def resolve(futures):
    """A future's value, or for a dict of futures the dict of their values (the first error, in
    the dict's order, raised)."""
    if isinstance(futures, dict):
        return {k: f.result() for k, f in futures.items()}
    return futures.result()


def _topic_partitions(partitions):
    return [TopicPartition(*tp) if isinstance(tp, tuple) else tp for tp in partitions]


def group_offsets(admin, group_id, partitions=None):
    """{(topic, partition): committed offset or None}, by list_consumer_group_offsets."""
    from minikafka import ConsumerGroupTopicPartitions
    tps = None if partitions is None else _topic_partitions(partitions)
    got = resolve(admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group_id, tps)]))[group_id]
    return {(tp.topic, tp.partition): (None if tp.offset == -1001 else tp.offset) for tp in got.topic_partitions}


def alter_offsets(admin, group_id, offsets):
    """{(topic, partition): offset} committed, by alter_consumer_group_offsets."""
    from minikafka import ConsumerGroupTopicPartitions
    if isinstance(offsets, dict):
        tps = [TopicPartition(t, p, off) for (t, p), off in offsets.items()]
    else:
        tps = list(offsets)
    got = resolve(admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group_id, tps)]))[group_id]
    return {(tp.topic, tp.partition): tp.offset for tp in got.topic_partitions}


def delete_offsets(admin, group_id, partitions):
    """[(topic, partition)] deleted, by delete_consumer_group_offsets."""
    from minikafka import ConsumerGroupTopicPartitions
    tps = _topic_partitions(partitions)
    got = resolve(admin.delete_consumer_group_offsets([ConsumerGroupTopicPartitions(group_id, tps)]))[group_id]
    return [(tp.topic, tp.partition) for tp in got.topic_partitions]


def deleted_records(futures):
    """{partition: low watermark} from delete_records' futures."""
    return {tp: r.low_watermark for tp, r in resolve(futures).items()}
