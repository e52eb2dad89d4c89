"""The registry simulator: a world's registries served over HTTP the way the
real systems serve them — bearer tokens, cursor pages, ``updated_since`` deltas,
batch lookups, rate limits — with faults that can be switched on per run.

    crosscheck registry serve --world worlds/small --port 8765
"""
