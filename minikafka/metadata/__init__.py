"""The metadata log's records and the image every node builds from them (Kafka: `metadata/`)."""
