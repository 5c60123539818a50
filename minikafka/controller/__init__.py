"""The controller: brokers, topics, partitions, leaders and the ISR (`controller`), and the
leader election rule (`election`). Kafka: `metadata/src/main/java/org/apache/kafka/controller/`."""
