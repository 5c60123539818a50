"""Storage: what a replica keeps on disk. Record batches (`records`), a replica's log
(`log`), the producer state the log rebuilds (`producer_state`), and the open transactions
with the aborted-transaction index (`transaction_index`). Kafka: the `storage` module."""
