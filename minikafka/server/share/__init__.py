"""Share-partitions (KIP-932) on partition leaders: in-flight records, acquisition locks,
acknowledgements."""
