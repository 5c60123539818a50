"""The simulation kernel, the bottom layer: virtual time and events (`kernel`), the network
between nodes (`network`), and the recorded history (`trace`). Nothing here knows Kafka."""
