"""Administration: the requests an admin client sends to a broker, which forwards them to the
active controller in an envelope (Kafka: `CreateTopicsRequest.json`, `CreatePartitionsRequest.json`,
`DeleteTopicsRequest.json`, `IncrementalAlterConfigsRequest.json`, `ElectLeadersRequest.json`,
`EnvelopeRequest.json`; KIP-590 forwarding). A broker's own request for an internal topic is a
CreateTopicsRequest too, sent straight to the controller with no answer expected (cid -1)."""
from __future__ import annotations

from typing import Any

from minikafka.protocol.base import TP, Msg, _tp, message


@message
class AdminResponse(Msg):
    """The answer to any admin request: an error (or None) with Kafka's message, and for
    ElectLeaders each partition's error. `kind` names the API it answers."""
    cid: int
    api: str
    error: str | None
    error_message: str = ""
    results: tuple[tuple[TP, str | None], ...] = ()

    def summary(self):
        out: dict[str, Any] = {"api": self.api, "error": self.error or "none"}
        if self.results:
            out["results"] = tuple(f"{_tp(tp)}:{err or 'ok'}" for tp, err in self.results)
        return out


@message
class CreatePartitionsRequest(Msg):
    """Grow a topic to `total` partitions."""
    cid: int
    name: str
    total: int

    def summary(self):
        return {"topic": self.name, "total": self.total}


@message
class DeleteTopicsRequest(Msg):
    """Delete a topic."""
    cid: int
    name: str

    def summary(self):
        return {"topic": self.name}


@message
class IncrementalAlterConfigsRequest(Msg):
    """Set some of a topic's configs, or (resource_type "group") a group's."""
    cid: int
    topic: str                          # the resource's name: a topic, or a group id
    changes: dict[str, Any]
    resource_type: str = "topic"

    def summary(self):
        if self.resource_type == "group":
            return {"group": self.topic, "set": tuple(f"{k}={v}" for k, v in sorted(self.changes.items()))}
        return {"topic": self.topic, "set": tuple(f"{k}={v}" for k, v in sorted(self.changes.items()))}


@message
class DescribeConfigsRequest(Msg):
    """Every config of a topic (resource_type "topic") or a group ("group"), as a broker knows them."""
    cid: int
    resource_type: str
    name: str

    def summary(self):
        return {self.resource_type: self.name}


@message
class DescribeConfigsResponse(Msg):
    """An error, or every config: (name, value, source) with Kafka's ConfigSource names."""
    cid: int
    error: str | None
    error_message: str = ""
    entries: tuple[tuple[str, str | None, str], ...] = ()     # values as Kafka's text

    def summary(self):
        return {"error": self.error or "none", "configs": len(self.entries)}


@message
class ElectLeadersRequest(Msg):
    """A preferred or unclean election for these partitions."""
    cid: int
    election_type: str
    partitions: tuple[TP, ...]

    def summary(self):
        return {"type": self.election_type, "parts": tuple(_tp(tp) for tp in self.partitions)}


@message
class EnvelopeRequest(Msg):
    """A broker forwards a client's admin request to the active controller (KIP-590)."""
    fid: int
    request: Any

    def summary(self):
        return {"request": self.request.kind, **self.request.summary()}


@message
class EnvelopeResponse(Msg):
    """The controller's answer to a forwarded request, for the broker to pass on."""
    fid: int
    response: AdminResponse

    def summary(self):
        return self.response.summary()


def admin_error(request: Any, error: str, text: str = "") -> AdminResponse:
    """The answer to an admin `request` that failed with `error` before reaching a decision."""
    return AdminResponse(request.cid, request.kind.removesuffix("Request"), error, text)

