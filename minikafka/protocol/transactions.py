"""Transactions: AddPartitionsToTxn, AddOffsetsToTxn and EndTxn (producer to coordinator),
WriteTxnMarkers (coordinator to partition leaders) and TxnOffsetCommit (producer to the group
coordinator) (Kafka: `AddPartitionsToTxnRequest.json`, `EndTxnRequest.json`,
`WriteTxnMarkersRequest.json`, `TxnOffsetCommitRequest.json`)."""
from __future__ import annotations

from minikafka.protocol.base import TP, ErrorResponse, Msg, PartitionResults, _tp, message


# -- transactions ---------------------------------------------------------------------------
@message
class AddPartitionsToTxnRequest(Msg):
    """A transactional producer adds partitions to its ongoing transaction (v1). From a partition
    leader (v4+, broker only): `verify_only` asks whether they are in it already (KIP-890 part 1);
    otherwise it adds them for a transactions-v2 producer (part 2)."""
    cid: int
    transactional_id: str
    producer_id: int
    producer_epoch: int
    partitions: tuple[TP, ...]
    verify_only: bool = False
    from_broker: bool = False

    def summary(self):
        out = {"txn_id": self.transactional_id, "pid": self.producer_id, "epoch": self.producer_epoch,
               "parts": tuple(_tp(tp) for tp in self.partitions)}
        if self.from_broker:
            out["verify_only"] = self.verify_only
        return out


@message
class AddPartitionsToTxnResponse(PartitionResults):
    """Per partition: an error, or None when added."""


@message
class AddOffsetsToTxnRequest(Msg):
    """A transactional producer adds a group's offset commit to its transaction."""
    cid: int
    transactional_id: str
    producer_id: int
    producer_epoch: int
    group_id: str

    def summary(self):
        return {"txn_id": self.transactional_id, "pid": self.producer_id, "epoch": self.producer_epoch,
                "group": self.group_id}


@message
class AddOffsetsToTxnResponse(ErrorResponse):
    """None, or an error."""


@message
class EndTxnRequest(Msg):
    """Commit or abort the producer's ongoing transaction. `v2`: EndTxn v5+, transactions v2."""
    cid: int
    transactional_id: str
    producer_id: int
    producer_epoch: int
    committed: bool
    v2: bool = False

    def summary(self):
        out = {"txn_id": self.transactional_id, "pid": self.producer_id, "epoch": self.producer_epoch,
               "result": "COMMIT" if self.committed else "ABORT"}
        if self.v2:
            out["v2"] = True
        return out


@message
class EndTxnResponse(Msg):
    """None, or an error; in v5+ (transactions v2) the producer id and epoch to use next, -1 else."""
    cid: int
    error: str | None
    producer_id: int = -1
    producer_epoch: int = -1

    def summary(self):
        out = {"error": self.error or "none"}
        if self.producer_id >= 0:
            out["pid"], out["epoch"] = self.producer_id, self.producer_epoch
        return out


@message
class WriteTxnMarkersRequest(Msg):
    """Coordinator -> partition leader: append a COMMIT or ABORT marker to each partition."""
    cid: int
    producer_id: int
    producer_epoch: int
    committed: bool
    coordinator_epoch: int
    partitions: tuple[TP, ...]
    v2: bool = False            # WriteTxnMarkers v2 (KIP-1228): a transactions-v2 marker

    def summary(self):
        return {"pid": self.producer_id, "epoch": self.producer_epoch,
                "marker": "COMMIT" if self.committed else "ABORT",
                "parts": tuple(_tp(tp) for tp in self.partitions)}


@message
class WriteTxnMarkersResponse(PartitionResults):
    """Per partition: an error, or None when the marker is written."""


@message
class TxnOffsetCommitRequest(Msg):
    """Offsets a transactional producer commits for a group, inside its transaction."""
    cid: int
    transactional_id: str
    group_id: str
    producer_id: int
    producer_epoch: int
    generation: int
    member_id: str
    offsets: tuple[tuple[TP, int], ...]
    v2: bool = False            # TxnOffsetCommit v5+: the group coordinator adds its partition
    group_instance_id: str | None = None

    def summary(self):
        return {"group": self.group_id, "pid": self.producer_id, "epoch": self.producer_epoch,
                "generation": self.generation, "offsets": tuple(f"{_tp(tp)}:{o}" for tp, o in self.offsets)}
