"""minikafka.clients.producer.partitioner: murmur2 key hashing and the uniform sticky partitioner (KIP-794)."""
import random

import pytest

from minikafka.clients.producer.partitioner import StickyPartitioner, murmur2, partition_for_key, to_positive


@pytest.mark.parametrize("key, expected", [
    ("21", -973932308),
    ("foobar", -790332482),
    ("a-little-bit-long-string", -985981536),
    ("a-little-bit-longer-string", -1486304829),
    ("abc", 479470107),
])
def test_murmur2_matches_kafka_test_vectors(key, expected):
    assert murmur2(key.encode("utf-8")) == expected


def test_murmur2_handles_every_tail_length_and_bytes_above_127():
    for data in (b"", b"\xff", b"\xff\xfe", b"\xff\xfe\xfd", b"\xff\xfe\xfd\xfc"):
        h = murmur2(data)
        assert -2**31 <= h < 2**31


def test_key_21_with_3_partitions_goes_to_0_by_masking_not_abs():
    h = murmur2(b"21")
    assert abs(h) % 3 == 2                      # what abs() would give
    assert to_positive(h) == h & 0x7FFFFFFF
    assert partition_for_key(b"21", 3) == 0


def test_partition_for_key_is_in_range_and_refuses_zero_partitions():
    assert all(0 <= partition_for_key(str(i).encode(), 7) < 7 for i in range(200))
    with pytest.raises(ValueError):
        partition_for_key(b"k", 0)


def sticky(seed=1, batch_size=100):
    return StickyPartitioner(random.Random(seed), batch_size)


def test_sticky_stays_on_partition_until_batch_size_bytes_were_appended():
    sp = sticky()
    p = sp.partition("t", range(4), 4)
    others = [q for q in range(4) if q != p]     # a switch can only land elsewhere
    for _ in range(9):
        sp.on_append("t", 10, True, others, 4)
        assert sp.partition("t", others, 4) == p
    sp.on_append("t", 10, True, others, 4)      # 100 bytes = batch.size: switch
    assert sp.partition("t", others, 4) in others


def test_sticky_does_not_switch_while_disabled_until_twice_batch_size():
    sp = sticky()
    p = sp.partition("t", range(4), 4)
    others = [q for q in range(4) if q != p]
    for _ in range(19):
        sp.on_append("t", 10, False, others, 4)
        assert sp.partition("t", others, 4) == p
    sp.on_append("t", 10, False, others, 4)     # 200 bytes = 2 x batch.size: forced
    assert sp.partition("t", others, 4) in others


def test_sticky_counts_bytes_per_topic():
    sp = sticky()
    p = sp.partition("t", range(4), 4)
    others = [q for q in range(4) if q != p]
    sp.partition("u", range(4), 4)
    sp.on_append("t", 60, True, others, 4)
    sp.on_append("u", 60, True, range(4), 4)
    assert sp.partition("t", others, 4) == p


def test_sticky_chooses_only_among_available_partitions():
    sp = sticky()
    chosen = set()
    for _ in range(200):
        chosen.add(sp.partition("t", [1, 4], 6))
        sp.on_append("t", 100, True, [1, 4], 6)
    assert chosen == {1, 4}


def test_sticky_may_pick_the_same_partition_again():
    sp = sticky(batch_size=1)
    picks = []
    for _ in range(50):
        picks.append(sp.partition("t", [0, 1], 2))
        sp.on_append("t", 1, True, [0, 1], 2)
    assert any(a == b for a, b in zip(picks, picks[1:], strict=False))


def test_sticky_uses_all_partitions_when_none_is_available():
    sp = sticky()
    chosen = set()
    for _ in range(100):
        chosen.add(sp.partition("t", [], 3))
        sp.on_append("t", 100, True, [], 3)
    assert chosen == {0, 1, 2}


def test_sticky_is_deterministic_given_the_same_seed():
    def run(seed):
        sp, out = sticky(seed), []
        for _ in range(50):
            out.append(sp.partition("t", range(8), 8))
            sp.on_append("t", 100, True, range(8), 8)
        return out

    assert run(5) == run(5)
    assert run(5) != run(6)
