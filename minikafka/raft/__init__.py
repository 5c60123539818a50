"""The metadata quorum: Raft as Kafka runs it (Kafka: `raft/src/main/java/org/apache/kafka/raft/`)."""
