"""Routing: from a requested model name to the model that answers it.

The capability tree and pools decide who may serve, the pipeline filters and selects,
the retry policy and the router's attempt loop decide what happens on failure.
"""
