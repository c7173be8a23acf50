"""Side-by-side benchmarks of lettr-mail against its peers (``make bench``).

``python -m benchmarks.run`` starts the targets (a stub HTTP API and an SMTP sink, in their
own process), measures the stub alone, then runs every sender in every scenario, each in its
own process, and writes a table to the terminal and to ``benchmarks/RESULTS.md``.
"""
