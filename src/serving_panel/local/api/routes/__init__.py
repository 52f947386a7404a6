"""HTTP routes of the local workspace, one module per API family."""
