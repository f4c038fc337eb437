"""The run-directory protocol: file names, the safe reader and writer, status.json, the lock,
control requests and claims; what the trainer, the dashboard, the CLI and sweeps share."""
