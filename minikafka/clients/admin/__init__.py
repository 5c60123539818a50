"""The admin client: topic and leadership administration over the network, and the operator's
transaction tools (KIP-664) and consumer group administration with their results."""
from minikafka.clients.admin.admin_client import AdminClient
from minikafka.clients.admin.groups import (ConsumerGroupDescription, ConsumerGroupListing, MemberDescription,
                                            PartitionLag)
from minikafka.clients.admin.transactions import (AbortTransactionSpec, HangingTransaction, ProducerState,
                                                  TransactionDescription, TransactionListing)

__all__ = ["AdminClient", "AbortTransactionSpec", "HangingTransaction", "ProducerState", "TransactionDescription",
           "TransactionListing", "ConsumerGroupDescription", "ConsumerGroupListing", "MemberDescription",
           "PartitionLag"]
