"""Clients: what producers and consumers share (`client`, `config`), the application's
`TopicPartition` and `Message` (`message`), the producer (`producer/`) and the consumer
(`consumer/`). Kafka: `clients/src/main/java/org/apache/kafka/clients/`."""
