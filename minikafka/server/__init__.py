"""The broker and what runs inside it: a replica of a partition (`partition`), the high
watermark and ISR rules (`replication`), followers fetching from leaders (`replica_fetcher`),
produce and fetch on the local replicas (`replica_manager`) with the requests that wait
(`delayed_operations`), and request dispatch and the broker's lifecycle (`broker`). Kafka:
`core/src/main/scala/kafka/server/` and `kafka/cluster/`."""
