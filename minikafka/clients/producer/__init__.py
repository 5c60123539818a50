"""The producer: `producer` (send, batch, retry, idempotence), `partitioner` (which partition a
record goes to), `transaction_manager` (the producer's side of transactions) and `config`."""
