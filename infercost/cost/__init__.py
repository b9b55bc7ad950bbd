"""The cost engine: pure functions from an evaluated stack and a snapshot to figures."""
