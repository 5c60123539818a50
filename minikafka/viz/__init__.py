"""Pictures of the simulator's state: pure functions from a cluster, a trace or plain data to a
matplotlib Figure, each with a plain-text twin that shows the same state.

| picture                      | figure                  | text twin              |
|------------------------------|-------------------------|------------------------|
| a partition's replica logs   | `log_figure`            | `log_table`            |
| brokers, replicas, leaders   | `cluster_figure`        | `cluster_table`        |
| messages over virtual time   | `sequence_figure`       | `sequence_table`       |
| experiment results           | `experiment_figure`     | `experiment_table`     |
| records per partition        | `distribution_figure`   | `distribution_table`   |
| keys to partitions (murmur2) |                         | `key_table`            |
| a partition's order          | `order_figure`          | `order_table`          |
| a consumer group now         | `group_figure`          | `group_table`          |
| a group's generations        | `rebalance_figure`      | `rebalance_table`      |
| a topic per isolation level  | `isolation_figure`      | `isolation_table`      |
| metrics before/after, over a run | `metrics_figure`    | `metrics_table`        |
| the metadata log (KRaft)     | `metadata_log_figure`   | `metadata_log_table`   |
| a share-partition (queues)   | `share_partition_figure` | `share_partition_table` |
| a partition's log segments   | `segments_figure`       | `segments_table`       |
| retention over time (runs the cluster) | `timeline_figure` | `timeline_table`  |

Rules:
- Reading only: no function changes the cluster or advances its time, except
  `retention_timeline`, which runs the cluster to sample it (it says so).
- Text twins are deterministic (no addresses, no timings, stable order), so a notebook cell
  that prints one can be checked by nbval; the figure next to it is not compared. Their lines
  fit 100 columns (a `width` argument): a long one wraps between fields, never inside one.
- matplotlib is imported inside the figure functions, never by `import minikafka.viz`.
  Figures are plain `matplotlib.figure.Figure` objects (no pyplot state, nothing leaks) and
  display as PNG in a notebook; `png_bytes(fig)` gives the same PNG for an ipywidgets Image.
- Colours come from one palette, `PALETTE`, shared by every picture.
- Arguments are checked before anything is read (cluster_args.py): a topic that does not exist is
  UNKNOWN_TOPIC_OR_PART, a value of the wrong type TypeError, one out of range ValueError.
"""
from minikafka.viz._style import PALETTE, member_colour, png_bytes
from minikafka.viz.charts import (distribution_figure, distribution_table, experiment_figure,
                                  experiment_table, key_table, order_figure, order_table)
from minikafka.viz.clustermap import cluster_figure, cluster_table, cluster_view
from minikafka.viz.groups import (group_figure, group_table, group_view, rebalance_figure, rebalance_table,
                                  rebalance_view)
from minikafka.viz.logs import log_figure, log_table, log_view
from minikafka.viz.metadata import metadata_log_figure, metadata_log_table, metadata_log_view
from minikafka.viz.metrics import metrics_figure, metrics_table
from minikafka.viz.ownership import ownership_figure, ownership_table, ownership_view
from minikafka.viz.sequence import sequence_figure, sequence_table, sequence_view
from minikafka.viz.share_partition import share_partition_figure, share_partition_table, share_partition_view
from minikafka.viz.segments import (retention_timeline, segments_figure, segments_table, segments_view,
                                    timeline_figure, timeline_table)
from minikafka.viz.txns import isolation_figure, isolation_table, isolation_view

__all__ = ["PALETTE", "png_bytes", "metrics_table", "metrics_figure", "metadata_log_table", "metadata_log_figure",
           "metadata_log_view", "log_view", "log_table",
           "log_figure", "cluster_view", "cluster_table",
           "cluster_figure", "sequence_view", "sequence_table", "sequence_figure", "experiment_table",
           "experiment_figure", "key_table", "distribution_table", "distribution_figure", "order_table", "order_figure",
           "member_colour", "group_view", "group_table", "group_figure", "rebalance_view", "rebalance_table",
           "rebalance_figure", "isolation_view", "isolation_table", "isolation_figure", "ownership_view",
           "ownership_table", "ownership_figure"]
__all__ += ["share_partition_view", "share_partition_table", "share_partition_figure"]
__all__ += ["segments_view", "segments_table", "segments_figure", "retention_timeline", "timeline_table",
            "timeline_figure"]
