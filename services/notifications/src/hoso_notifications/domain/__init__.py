"""Notifications without I/O: what an event means for whom, and the e-mail it becomes."""
