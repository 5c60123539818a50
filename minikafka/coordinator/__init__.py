"""Coordinators: broker-side state machines that keep their state in an internal topic.
What they share is `internal_topics`; the group coordinator is in `group/`, the transaction
coordinator in `transaction/`. Kafka: the `group-coordinator` and `transaction-coordinator` modules."""
