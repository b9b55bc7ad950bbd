"""The application layer: what each command does, as functions that return results.

A command's arguments come in as one frozen object (:mod:`~infercost.app.arguments`);
the work (loading both sides, adding policies, pricing, planning, judging) happens
here through :mod:`infercost.workspace`; a result object carrying the run's
diagnostics comes out. The CLI only wires options to these functions and results to
views, and :mod:`~infercost.app.exit` turns a result into the exit code.
"""
