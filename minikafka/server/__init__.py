"""The broker and what runs inside it: a replica of a partition (`partition`), the high
watermark and ISR rules (`replication`), followers fetching from leaders (`replica_fetcher`), and
request handling (`broker`). Kafka: `core/src/main/scala/kafka/server/` and `kafka/cluster/`."""
