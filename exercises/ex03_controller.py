"""Exercise 3.1 (notebook 03, brokers and the controller): leader election."""
from __future__ import annotations

from typing import Collection, Sequence

from . import exercise


@exercise("3.1", reference="minikafka.replication:elect_leader")
def elect_leader(replicas: Sequence[int], isr: Collection[int], live: Collection[int],
                 unclean: bool = False) -> tuple[int, bool]:
    """The controller's choice of a new leader for one partition.

    replicas: the assignment, in order (the first is the preferred leader).
    isr: the in-sync replicas. live: the brokers that are up (unfenced).
    unclean: whether unclean.leader.election.enable is true for the topic.

    Return (leader, unclean_election): the first replica in assignment order that is in the ISR
    and live; if there is none and unclean election is allowed, the first live replica (and True);
    otherwise (-1, False): the partition is offline.
    """
    raise NotImplementedError("Exercise 3.1: elect_leader (exercises/ex03_controller.py)")
