"""The producer: `producer` (the API: produce, poll, flush, transactions), `accumulator` (batches
per partition and when they are ready), `sender` (ProduceRequests, retries, idempotence),
`partitioner` (which partition a record goes to), `transaction_manager` (the producer's side of
transactions) and `config`."""
