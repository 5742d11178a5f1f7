"""What every model shares: progress events, config parameters, devices, checkpoints, the registry."""
