"""Small pure reference functions for the course exercises, one module per notebook."""
