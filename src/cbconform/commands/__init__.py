"""Small commands that only read the contracts."""
