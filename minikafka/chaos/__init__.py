"""Chaos: faults as data (`faults`), seeded fault schedules (`nemesis`) and applying them to a
running cluster (`nemesis_run`); what a workload's clients did and saw (`history`); checkers that
judge a history (`checkers`, gathering `durability_checks`, `transaction_checks`, `group_checks`
and `pipeline_checks`, with `report` for their verdicts); seeded workloads (`workload`, with the
roles it plays in `workload_producers`, `workload_consumers` and `workload_pipelines`); and the
campaign that runs them all (`campaign`; `python -m minikafka.chaos`)."""
