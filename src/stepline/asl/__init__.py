"""The pure language core: definitions, diagnostics, paths, templates, intrinsics, JSONata, Choice.

Nothing in this package touches a clock, a database or the network, and it imports nothing else
of Stepline's.
"""
