"""The admin client: topic and leadership administration over the network, and the operator's
transaction tools (KIP-664) with their results."""
from minikafka.clients.admin.admin_client import AdminClient
from minikafka.clients.admin.transactions import (AbortTransactionSpec, HangingTransaction, ProducerState,
                                                  TransactionDescription, TransactionListing)

__all__ = ["AdminClient", "AbortTransactionSpec", "HangingTransaction", "ProducerState", "TransactionDescription",
           "TransactionListing"]
