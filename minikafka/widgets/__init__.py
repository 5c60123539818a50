"""Widgets: thin ipywidgets views over `viz`, `experiments` and the cluster's `step()`/`run()`.

- `ClusterExplorer`: produce, crash and restart brokers, cut and heal links, step, run; see the
  cluster map and a partition's log strip.
- `PartitionerPlayground`: type keys, pick the partition count; see murmur2's choice for each key
  and how the sticky partitioner spreads null-key records.
- `ReplicationStepper`: produce a record and step one event at a time; see the trace and every
  replica's LEO and HW move.
- `DurabilityLab`: pick acks, min.insync.replicas, unclean election; run seeded crash trials and
  compare acknowledged-then-lost records across settings.
- `OrderingLab`: pick max.in.flight, idempotence and a loss rate; see the partition's order and
  whether it was reordered or duplicated.
- `TransactionLab`: begin, produce, commit, abort; start a newer instance of the same
  transactional.id (the older one becomes a zombie); see the same log as a read_uncommitted
  and a read_committed consumer reads it, with the LSO.
- `PipelineLab`: crash notebook 10's consume-transform-produce pipeline where you choose, with a
  transaction or without; see each input's copies in `out`, the duplicates and the losses.
- `ConfigTranslator`: a client config as the Java client and librdkafka each read it, and what
  `port_config` (exercise 11.1) makes of it.
- `GroupLab`: add, close and crash consumers, pick the assignor (a fresh group), run while every
  live consumer keeps polling; see who owns which partition, the lag and the rebalances.
- `ShareStepper`: two consumers of a share group (queues) poll, accept, release, reject and crash;
  wait for acquisition locks to expire; see each offset's state, delivery count and holder, and
  the SPSO move (`share_step` decides every step).
- `CompactionStepper`: one compacted partition log: update and delete keys, roll the active
  segment, run one pass of the real log cleaner, wait delete.retention.ms; see which offsets go
  and why, the gaps, clean and dirty segments, the cleaner point, the dirty ratio and whether
  Kafka's cleaner would choose the log (`compaction_step` decides every step).

Rules:
- ipywidgets is imported when a widget is built, never by `import minikafka.widgets`.
- Every control and view is an attribute (`explorer.crash`, `explorer.text`), so Python can
  drive a widget as a learner would (`explorer.broker.value = 1; explorer.crash.click()`) and
  read its state without a browser. `.box` is what a notebook shows; so does displaying the
  widget object itself.
- Pictures go into `ipywidgets.Image` (PNG from `viz`), text into `HTML` (`<pre>`); messages
  and errors of a callback go into the widget's `Output` (`.out`), never to stdout.
- Nothing here decides anything: the state comes from the cluster and the experiment functions.

One module per lab (`cluster_explorer`, `partitioner_playground`, `replication_stepper`,
`durability_lab`, `ordering_lab`, `transaction_lab`, `group_lab`, `share_stepper`,
`compaction_stepper`); `_base` has what they share.
"""
from __future__ import annotations

from minikafka.widgets.cluster_explorer import ClusterExplorer
from minikafka.widgets.compaction_stepper import CompactionStepper, compaction_step
from minikafka.widgets.config_translator import ConfigTranslator
from minikafka.widgets.durability_lab import DurabilityLab
from minikafka.widgets.group_lab import ASSIGNORS, GROUP_EVENTS, GroupLab, event_line
from minikafka.widgets.ordering_lab import OrderingLab
from minikafka.widgets.partitioner_playground import PartitionerPlayground
from minikafka.widgets.pipeline_lab import PipelineLab
from minikafka.widgets.replication_stepper import ReplicationStepper
from minikafka.widgets.share_stepper import ShareStepper, share_step
from minikafka.widgets.transaction_lab import TransactionLab

__all__ = ["ClusterExplorer", "PartitionerPlayground", "ReplicationStepper", "DurabilityLab", "OrderingLab",
           "TransactionLab", "GroupLab", "ASSIGNORS", "GROUP_EVENTS", "event_line"]
__all__ += ["PipelineLab", "ConfigTranslator"]
__all__ += ["ShareStepper", "share_step"]
__all__ += ["CompactionStepper", "compaction_step"]
