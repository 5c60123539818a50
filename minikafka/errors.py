"""Kafka's errors, by Kafka's names.

Rules:
- A `KafkaError` is a value: a code, a name, a message, and whether it is retriable or fatal.
  Protocol errors keep the broker's names and codes (NOT_ENOUGH_REPLICAS = 19); errors raised
  inside the client keep librdkafka's underscore names (_MSG_TIMED_OUT), as confluent-kafka does.
- `KafkaException` carries one `KafkaError` (`exc.args[0]`), like confluent-kafka's.
- `ConfigException` is raised at once for a bad configuration: it names the key, the value and
  what is accepted. It is also a `ValueError`.
- Compare errors by code: `err.code() == KafkaError.NOT_ENOUGH_REPLICAS`.
"""
from __future__ import annotations

# name: (code, retriable, description)
_ERRORS: dict[str, tuple[int, bool, str]] = {
    "NO_ERROR": (0, False, "Success"),
    "OFFSET_OUT_OF_RANGE": (1, False, "The requested offset is not within the range of offsets maintained by the server"),
    "CORRUPT_MESSAGE": (2, True, "The message contents does not match its checksum"),
    "UNKNOWN_TOPIC_OR_PART": (3, True, "This server does not host this topic-partition"),
    "LEADER_NOT_AVAILABLE": (5, True, "There is no leader for this topic-partition as we are in the middle of a leadership election"),
    "NOT_LEADER_OR_FOLLOWER": (6, True, "This server is not the leader for that topic-partition"),
    "REQUEST_TIMED_OUT": (7, True, "The request timed out"),
    "INVALID_TOPIC_EXCEPTION": (17, False, "The request attempted to perform an operation on an invalid topic"),
    "MSG_SIZE_TOO_LARGE": (10, False, "The request included a message larger than the max message size the server will accept"),
    "RECORD_LIST_TOO_LARGE": (18, False, "The request held a record batch larger than the segment size configured on the broker"),
    "INVALID_TIMESTAMP": (32, False, "A record's timestamp is outside the range the broker accepts"),
    "INVALID_RECORD": (87, False, "The broker's validation refused this record"),
    "NETWORK_EXCEPTION": (13, True, "The server disconnected before a response was received"),
    "COORDINATOR_LOAD_IN_PROGRESS": (14, True, "The coordinator is loading and hence can't process requests"),
    "COORDINATOR_NOT_AVAILABLE": (15, True, "The coordinator is not available"),
    "NOT_COORDINATOR": (16, True, "This is not the correct coordinator"),
    "NOT_ENOUGH_REPLICAS": (19, True, "Messages are rejected since there are fewer in-sync replicas than required"),
    "NOT_ENOUGH_REPLICAS_AFTER_APPEND": (20, True, "Messages are written to the log, but to fewer in-sync replicas than required"),
    "ILLEGAL_GENERATION": (22, False, "Specified group generation id is not valid"),
    "INCONSISTENT_GROUP_PROTOCOL": (23, False, "The group member's supported protocols are incompatible with those of existing members"),
    "UNKNOWN_MEMBER_ID": (25, False, "The coordinator is not aware of this member"),
    "INVALID_SESSION_TIMEOUT": (26, False, "The session timeout is not within the range allowed by the broker"),
    "REBALANCE_IN_PROGRESS": (27, False, "The group is rebalancing, so a rejoin is needed"),
    "INVALID_COMMIT_OFFSET_SIZE": (28, False, "The committing offset data size is not valid"),
    "TOPIC_AUTHORIZATION_FAILED": (29, False, "Topic authorization failed"),
    "TOPIC_ALREADY_EXISTS": (36, False, "Topic with this name already exists"),
    "INVALID_PARTITIONS": (37, False, "Number of partitions is below 1"),
    "INVALID_REPLICATION_FACTOR": (38, False, "Replication factor is below 1 or larger than the number of available brokers"),
    "INVALID_CONFIG": (40, False, "Configuration is invalid"),
    "INVALID_REQUEST": (42, False, "This most likely occurs because of a request being malformed by the client library"),
    "POLICY_VIOLATION": (44, False, "Request parameters do not satisfy the configured policy"),
    "OUT_OF_ORDER_SEQUENCE_NUMBER": (45, False, "The broker received an out of order sequence number"),
    "DUPLICATE_SEQUENCE_NUMBER": (46, False, "The broker received a duplicate sequence number"),
    "INVALID_PRODUCER_EPOCH": (47, False, "Producer attempted to produce with an old epoch"),
    "INVALID_TXN_STATE": (48, False, "The producer attempted a transactional operation in an invalid state"),
    "INVALID_PRODUCER_ID_MAPPING": (49, False, "The producer attempted to use a producer id which is not currently assigned to its transactional id"),
    "INVALID_TRANSACTION_TIMEOUT": (50, False, "The transaction timeout is larger than the maximum value allowed by the broker"),
    "CONCURRENT_TRANSACTIONS": (51, True, "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing"),
    "UNKNOWN_PRODUCER_ID": (59, False, "This exception is raised by the broker if it could not locate the producer metadata"),
    "FENCED_LEADER_EPOCH": (74, True, "The leader epoch in the request is older than the epoch on the broker"),
    "UNKNOWN_LEADER_EPOCH": (75, True, "The leader epoch in the request is newer than the epoch on the broker"),
    "OFFSET_NOT_AVAILABLE": (78, True, "The leader high watermark has not caught up from a recent leader election"),
    "MEMBER_ID_REQUIRED": (79, False, "The group member needs to have a valid member id before actually entering a consumer group"),
    "FENCED_INSTANCE_ID": (82, False, "The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id"),
    "UNSTABLE_OFFSET_COMMIT": (88, True, "There are unstable offsets that need to be cleared"),
    "PRODUCER_FENCED": (90, False, "There is a newer producer with the same transactionalId which fences the current one"),
    "INVALID_UPDATE_VERSION": (95, False, "The given update version was invalid"),
    "INELIGIBLE_REPLICA": (107, False, "The new ISR contains at least one ineligible replica"),
    "NOT_CONTROLLER": (41, True, "This is not the correct controller for this cluster"),
    "STALE_BROKER_EPOCH": (77, False, "Broker epoch has changed"),
    "PREFERRED_LEADER_NOT_AVAILABLE": (80, True, "The preferred leader was not available"),
    "ELIGIBLE_LEADERS_NOT_AVAILABLE": (83, True, "Eligible topic partition leaders are not available"),
    "ELECTION_NOT_NEEDED": (84, False, "Leader election not needed for topic partition"),
    "DUPLICATE_BROKER_REGISTRATION": (101, False, "This broker ID is already in use"),
    "OFFSET_MOVED_TO_TIERED_STORAGE": (109, False, "The requested offset is moved to tiered storage."),
    "TRANSACTION_COORDINATOR_FENCED": (52, False, "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer"),
    "OPERATION_NOT_ATTEMPTED": (55, False, "The broker did not attempt to execute this operation"),
    "INVALID_GROUP_ID": (24, False, "The configured groupId is invalid"),
    "TRANSACTION_ABORTABLE": (120, False, "The server encountered an error with the transaction; the client can abort and retry"),
    "TRANSACTIONAL_ID_NOT_FOUND": (105, False, "The transactionalId could not be found"),
    "NON_EMPTY_GROUP": (68, False, "The group is not empty"),
    "GROUP_ID_NOT_FOUND": (69, False, "The group id does not exist"),
    "GROUP_SUBSCRIBED_TO_TOPIC": (86, False, "The consumer group is actively subscribed to the topic"),
    "UNSUPPORTED_VERSION": (35, False, "The version of API is not supported"),
    "GROUP_MAX_SIZE_REACHED": (81, False, "The consumer group has reached its max size"),
    "UNRELEASED_INSTANCE_ID": (111, False, "The instance ID is still used by another member in the consumer group. That member must leave first"),
    "UNSUPPORTED_ASSIGNOR": (112, False, "The assignor or its version range is not supported by the consumer group"),
    "FENCED_MEMBER_EPOCH": (110, False, "The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin"),
    "STALE_MEMBER_EPOCH": (113, False, "The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API"),
    "INVALID_REGULAR_EXPRESSION": (128, False, "The regular expression is not valid"),
    "INVALID_RECORD_STATE": (121, False, "The record state is invalid. The acknowledgement of delivery could not be completed"),
    "SHARE_SESSION_NOT_FOUND": (122, True, "The share session was not found"),
    "FENCED_STATE_EPOCH": (124, False, "The share coordinator rejected the request because the share-group state epoch did not match"),
    # client-side errors, librdkafka's names
    "_BAD_MSG": (-199, False, "Local: Bad message format"),
    "_FAIL": (-196, False, "Local: Failure"),
    "_TRANSPORT": (-195, True, "Local: Broker transport failure"),
    "_DESTROY": (-197, False, "Local: Broker handle destroyed"),
    "_MSG_TIMED_OUT": (-192, False, "Local: Message timed out"),
    "_PARTITION_EOF": (-191, False, "Broker: No more messages"),
    "_UNKNOWN_PARTITION": (-190, False, "Local: Unknown partition"),
    "_INVALID_ARG": (-186, False, "Local: Invalid argument or configuration"),
    "_TIMED_OUT": (-185, True, "Local: Timed out"),
    "_QUEUE_FULL": (-184, True, "Local: Queue full"),
    "_UNKNOWN_TOPIC": (-188, False, "Local: Unknown topic"),
    "_STATE": (-172, False, "Local: Erroneous state"),
    "_AUTO_OFFSET_RESET": (-140, False, "Local: No offset to automatically reset to"),
    "_LOG_TRUNCATION": (-139, False, "Local: Partition log truncation detected"),
    "_FATAL": (-150, False, "Local: Fatal error"),
    "_FENCED": (-144, False, "Local: This instance has been fenced by a newer instance"),
    "_NOT_CONFIGURED": (-145, False, "Local: Functionality not configured"),
    "_NO_OFFSET": (-168, False, "Local: No offset stored"),
    "_PURGE_QUEUE": (-152, False, "Local: Purged in queue"),
    "_NOT_IMPLEMENTED": (-170, False, "Local: Not implemented"),
}

_BY_CODE = {code: name for name, (code, _, _) in _ERRORS.items()}


class KafkaError:
    """One Kafka error: `code()`, `name()`, `str()`, `retriable()`, `fatal()`."""

    __slots__ = ("_code", "_name", "_msg", "_retriable", "_fatal", "_abortable")

    def __init__(self, error: int | str, reason: str | None = None, *, fatal: bool = False,
                 retriable: bool | None = None, txn_requires_abort: bool = False) -> None:
        name = error if isinstance(error, str) else _BY_CODE.get(error)
        if name not in _ERRORS:
            raise ValueError(f"unknown Kafka error {error!r}")
        code, default_retriable, description = _ERRORS[name]
        self._code, self._name = code, name
        self._msg = reason if reason is not None else description
        self._retriable = default_retriable if retriable is None else retriable
        self._fatal = fatal
        self._abortable = txn_requires_abort

    def code(self) -> int:
        return self._code

    def name(self) -> str:
        return self._name

    def str(self) -> str:
        return self._msg

    def retriable(self) -> bool:
        return self._retriable

    def fatal(self) -> bool:
        return self._fatal

    def txn_requires_abort(self) -> bool:
        return self._abortable

    def __eq__(self, other: object) -> bool:
        if isinstance(other, KafkaError):
            return self._code == other._code
        if isinstance(other, int):
            return self._code == other
        return NotImplemented

    def __hash__(self) -> int:
        return self._code

    def __str__(self) -> str:
        return f"{self._name}: {self._msg}"

    def __repr__(self) -> str:
        return f"KafkaError{{code={self._name},val={self._code},str=\"{self._msg}\"}}"


for _name, (_code, _, _) in _ERRORS.items():
    setattr(KafkaError, _name, _code)


class KafkaException(Exception):
    """An exception carrying a KafkaError as `args[0]`."""

    def __init__(self, error: KafkaError | int | str, reason: str | None = None, **kw: bool) -> None:
        if not isinstance(error, KafkaError):
            error = KafkaError(error, reason, **kw)
        super().__init__(error)

    @property
    def error(self) -> KafkaError:
        return self.args[0]

    def __str__(self) -> str:
        return str(self.args[0])


class ConfigException(KafkaException, ValueError):
    """A configuration was refused: unknown key, wrong type or value out of range."""

    def __init__(self, reason: str) -> None:
        super().__init__(KafkaError("_INVALID_ARG", reason))


def error(name: str, reason: str | None = None) -> KafkaError:
    """Shorthand: `error("NOT_ENOUGH_REPLICAS")`."""
    return KafkaError(name, reason)
