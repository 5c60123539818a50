"""Chaos: seeded faults (`nemesis`), what clients did and saw (`history`), checkers that judge a
history (`checkers`), seeded workloads (`workload`), and the campaign that runs them all
(`campaign`; `python -m minikafka.chaos`)."""
