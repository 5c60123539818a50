"""Message schemas kafka-python does not ship, in the JSON form its codec reads (minikafka's own
transcription of the protocol's fields and versions; codec.py loads them)."""
