"""The commands of `registry`, one module each (see registry.cli)."""
