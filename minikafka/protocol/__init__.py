"""Protocol messages, named after Kafka's requests: one module per area, gathered here so that
`from minikafka import protocol as P` gives every message as `P.ProduceRequest`, `P.FetchRequest`, ...

| module | messages | Kafka |
|---|---|---|
| `base` | `Msg`, `@message`, `ErrorResponse`, `PartitionResults` | `AbstractRequest`, `AbstractResponse` |
| `metadata` | Metadata, FindCoordinator, CreateTopics; `PartitionState` | `MetadataRequest.json`, ... |
| `produce` | Produce, InitProducerId | `ProduceRequest.json`, `InitProducerIdRequest.json` |
| `fetch` | Fetch, ListOffsets, OffsetsForLeaderEpoch, DeleteRecords | `FetchRequest.json`, `DeleteRecordsRequest.json`, ... |
| `admin` | CreatePartitions, DeleteTopics, IncrementalAlterConfigs, ElectLeaders, Envelope | `CreatePartitionsRequest.json`, ... |
| `controller` | BrokerRegistration, BrokerHeartbeat, AlterPartition, AllocateProducerIds | `BrokerHeartbeatRequest.json`, ... |
| `raft` | Vote, BeginQuorumEpoch, EndQuorumEpoch, QuorumFetch | `VoteRequest.json`, ... |
| `transactions` | AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, WriteTxnMarkers, TxnOffsetCommit | `EndTxnRequest.json`, ... |
| `transaction_admin` | ListTransactions, DescribeTransactions, DescribeProducers | `ListTransactionsRequest.json`, ... |
| `groups` | OffsetCommit, OffsetFetch, JoinGroup, SyncGroup, Heartbeat, LeaveGroup | `JoinGroupRequest.json`, ... |
| `consumer_groups` | ConsumerGroupHeartbeat (KIP-848) | `ConsumerGroupHeartbeatRequest.json` |
| `share_groups` | ShareGroupHeartbeat, ShareFetch, ShareAcknowledge, Read/WriteShareGroupState (KIP-932) | `ShareFetchRequest.json`, ... |
| `group_admin` | ListGroups, DescribeGroups, OffsetFetch (all), OffsetDelete, DeleteGroups | `ListGroupsRequest.json`, ... |

The rules every message follows are in `base`. Kafka keeps one JSON schema per API, with its
versions, in `clients/src/main/resources/common/message/`.
"""
from minikafka.protocol.admin import (AdminResponse, CreatePartitionsRequest, admin_error, DeleteTopicsRequest, ElectLeadersRequest,
                                      DescribeConfigsRequest, DescribeConfigsResponse,
                                      EnvelopeRequest, EnvelopeResponse, IncrementalAlterConfigsRequest)
from minikafka.protocol.base import TP, ErrorResponse, Msg, PartitionResults, message
from minikafka.protocol.controller import (AllocateProducerIdsRequest, AllocateProducerIdsResponse, AlterPartition,
                                           AlterPartitionResponse, BrokerHeartbeat, BrokerHeartbeatResponse,
                                           BrokerRegistration, BrokerRegistrationResponse)
from minikafka.protocol.fetch import (DeleteRecordsRequest, DeleteRecordsResponse, FetchPartition,
                                      FetchPartitionResult, FetchRequest, FetchResponse, ListOffsetsRequest,
                                      ListOffsetsResponse, OffsetsForLeaderEpochRequest, OffsetsForLeaderEpochResponse)
from minikafka.protocol.consumer_groups import ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse
from minikafka.protocol.group_admin import (DeleteGroupsRequest, DeleteGroupsResponse, DescribedGroup,
                                            DescribedMember, DescribeGroupsRequest, DescribeGroupsResponse,
                                            ListedGroup, ListGroupsRequest, ListGroupsResponse, OffsetDeleteRequest,
                                            OffsetDeleteResponse)
from minikafka.protocol.groups import (GroupProtocol, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest,
                                       JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse,
                                       OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest,
                                       OffsetFetchResponse, SyncGroupRequest, SyncGroupResponse)
from minikafka.protocol.share_groups import (ReadShareGroupStateRequest, ReadShareGroupStateResponse,
                                             ShareAcknowledgeRequest, ShareAcknowledgeResponse, ShareFetchPartition,
                                             ShareFetchRequest, ShareFetchResponse, ShareGroupHeartbeatRequest,
                                             ShareGroupHeartbeatResponse, WriteShareGroupStateRequest,
                                             WriteShareGroupStateResponse)
from minikafka.protocol.metadata import (CreateTopicsRequest, FindCoordinatorRequest, FindCoordinatorResponse,
                                         MetadataRequest, MetadataResponse, PartitionState)
from minikafka.protocol.produce import InitProducerIdRequest, InitProducerIdResponse, ProduceRequest, ProduceResponse
from minikafka.protocol.raft import (BeginQuorumEpochRequest, BeginQuorumEpochResponse, EndQuorumEpochRequest,
                                     EndQuorumEpochResponse, QuorumFetchRequest, QuorumFetchResponse, VoteRequest,
                                     VoteResponse)
from minikafka.protocol.transaction_admin import (ActiveProducer, DescribedTransaction, DescribeProducersRequest,
                                                  DescribeProducersResponse, DescribeTransactionsRequest,
                                                  DescribeTransactionsResponse, ListTransactionsRequest,
                                                  ListTransactionsResponse, PartitionProducers)
from minikafka.protocol.transactions import (AddOffsetsToTxnRequest, AddOffsetsToTxnResponse,
                                             AddPartitionsToTxnRequest, AddPartitionsToTxnResponse,
                                             EndTxnRequest, EndTxnResponse, TxnOffsetCommitRequest,
                                             WriteTxnMarkersRequest, WriteTxnMarkersResponse)

__all__ = ["TP", "Msg", "message", "ErrorResponse", "PartitionResults", "PartitionState", "MetadataRequest",
           "MetadataResponse", "FindCoordinatorRequest", "FindCoordinatorResponse", "CreateTopicsRequest",
           "ProduceRequest", "ProduceResponse", "InitProducerIdRequest", "InitProducerIdResponse",
           "DeleteRecordsRequest", "DeleteRecordsResponse",
           "FetchPartition", "FetchPartitionResult", "FetchRequest", "FetchResponse", "ListOffsetsRequest",
           "ListOffsetsResponse", "OffsetsForLeaderEpochRequest", "OffsetsForLeaderEpochResponse",
           "BrokerRegistration", "BrokerRegistrationResponse", "BrokerHeartbeat", "BrokerHeartbeatResponse",
           "AllocateProducerIdsRequest", "AllocateProducerIdsResponse",
           "AlterPartition", "AlterPartitionResponse", "AddPartitionsToTxnRequest",
           "AddPartitionsToTxnResponse", "AddOffsetsToTxnRequest", "AddOffsetsToTxnResponse", "EndTxnRequest",
           "EndTxnResponse", "WriteTxnMarkersRequest", "WriteTxnMarkersResponse", "TxnOffsetCommitRequest",
           "OffsetCommitRequest", "OffsetCommitResponse", "OffsetFetchRequest", "OffsetFetchResponse",
           "GroupProtocol", "JoinGroupRequest", "JoinGroupResponse", "SyncGroupRequest", "SyncGroupResponse",
           "HeartbeatRequest", "HeartbeatResponse", "LeaveGroupRequest", "LeaveGroupResponse", "VoteRequest",
           "VoteResponse", "BeginQuorumEpochRequest", "BeginQuorumEpochResponse", "EndQuorumEpochRequest",
           "EndQuorumEpochResponse", "QuorumFetchRequest", "QuorumFetchResponse", "AdminResponse",
           "CreatePartitionsRequest", "DeleteTopicsRequest", "IncrementalAlterConfigsRequest", "ElectLeadersRequest", "DescribeConfigsRequest", "DescribeConfigsResponse",
           "EnvelopeRequest", "EnvelopeResponse", "admin_error", "ListTransactionsRequest",
           "ListTransactionsResponse", "DescribeTransactionsRequest", "DescribeTransactionsResponse",
           "DescribedTransaction", "DescribeProducersRequest", "DescribeProducersResponse", "ActiveProducer",
           "PartitionProducers", "ListGroupsRequest", "ListGroupsResponse", "ListedGroup", "DescribeGroupsRequest",
           "DescribeGroupsResponse", "DescribedGroup", "DescribedMember",
           "OffsetDeleteRequest", "OffsetDeleteResponse", "DeleteGroupsRequest", "DeleteGroupsResponse",
           "ConsumerGroupHeartbeatRequest", "ConsumerGroupHeartbeatResponse", "ShareGroupHeartbeatRequest",
           "ShareGroupHeartbeatResponse", "ShareFetchRequest", "ShareFetchResponse", "ShareFetchPartition",
           "ShareAcknowledgeRequest", "ShareAcknowledgeResponse", "ReadShareGroupStateRequest",
           "ReadShareGroupStateResponse", "WriteShareGroupStateRequest", "WriteShareGroupStateResponse"]
