"""The consumer: `consumer` (the API: assign, subscribe, poll, seek, commit), `subscription_state`
(assignment and positions), `fetcher` (Fetch requests, read_committed filtering, the buffer),
`offset_fetcher` (positions from committed offsets or ListOffsets, KIP-320 validation),
`consumer_coordinator` (the consumer's side of the group protocol: join, sync, heartbeat,
commits), `assignors` (who gets which partition) and `config`."""
