"""The transaction coordinator, broker side (`transaction_coordinator`). The producer's side is
`minikafka/clients/producer/transaction_manager.py`."""
