"""Feature levels: the cluster-wide switches a KRaft cluster finalizes in its metadata log
(Kafka: `FeatureControlManager`, `MetadataVersion`, the `*Version` feature classes in
`server-common`; kafka-semantics.md K.81, L.94, S.200, N, O.230).

Rules:
1. Each feature is a FeatureLevelRecord in the metadata log, written by the first active
   controller (the bootstrap records) and read by every node from its metadata image.
2. The defaults are a new Kafka 4.2 cluster's, except where this model does not have the
   protocol a level turns on yet (then the level it does have, and `NOT_YET` says why).
3. `Cluster(features={...})` sets levels at format time; a name or level this model does not
   have is refused with the names and levels it accepts, before anything starts.
"""
from __future__ import annotations

from typing import Any, Mapping

METADATA_VERSION_4_2 = 29             # 4.2-IV1

# feature -> (default, accepted levels, what the levels mean here)
FEATURES: dict[str, tuple[int, tuple[int, ...], str]] = {
    "metadata.version": (METADATA_VERSION_4_2, (METADATA_VERSION_4_2,), "29 = 4.2-IV1, the only one modelled"),
    "kraft.version": (0, (0,), "0 = a static voter set (controller.quorum.voters); 1 (KIP-853) is not modelled"),
    "eligible.leader.replicas.version": (1, (0, 1), "0 = off (a 4.0 cluster), 1 = eligible leader replicas (KIP-966)"),
    "transaction.version": (2, (0, 1, 2), "0 and 1 = transactions v1 (explicit AddPartitionsToTxn, one epoch for "
                                           "every transaction); 2 = transactions v2 (KIP-890: partitions added by "
                                           "the leaders, the epoch bumped at every commit and abort)"),
    "group.version": (1, (0, 1), "0 = classic groups only; 1 = the KIP-848 consumer protocol too "
                                 "(group.protocol=consumer)"),
    "share.version": (1, (0, 1), "0 = no share groups; 1 = share groups (KIP-932, production-ready in 4.2)"),
}
NOT_YET = {
    "streams.version": "the streams group protocol (KIP-1071) is not modelled",
}


def defaults() -> dict[str, int]:
    return {name: spec[0] for name, spec in FEATURES.items()}


def resolve(features: Mapping[str, Any] | None) -> dict[str, int]:
    """The levels to bootstrap: the defaults with `features` applied (rule 3)."""
    out = defaults()
    if features is None:
        return out
    if not isinstance(features, Mapping):
        raise TypeError(f"features must be a dict of feature name -> level, got {features!r}")
    for name, level in features.items():
        if name not in FEATURES:
            extra = f" ({NOT_YET[name]})" if name in NOT_YET else ""
            raise ValueError(f"unknown feature {name!r}{extra}; features: {', '.join(FEATURES)}")
        default, accepted, meaning = FEATURES[name]
        if isinstance(level, bool) or not isinstance(level, int) or level not in accepted:
            why = f"; {NOT_YET[name]}" if name in NOT_YET else ""
            raise ValueError(f"features[{name!r}] = {level!r} is not a level this model has; accepted: "
                             f"{', '.join(map(str, accepted))} ({meaning}){why}")
        out[name] = level
    return out
