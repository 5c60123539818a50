"""The group coordinator, broker side: the classic group state machine (`classic_group`) and the
coordinator that runs it and keeps committed offsets (`group_coordinator`). The consumer's side of
the same protocol is `minikafka/clients/consumer/consumer_coordinator.py`."""
