"""The consumer: `consumer` (fetch positions, polling, isolation), `consumer_coordinator` (the
consumer's side of the group protocol: join, sync, heartbeat, commits), `assignors` (who gets
which partition) and `config`."""
