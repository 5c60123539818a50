"""The admin client: topic and leadership administration over the network."""
