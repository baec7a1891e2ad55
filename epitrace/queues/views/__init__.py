"""The queue's pages: the tracer's queue (tracer.py) and supervision (supervise.py)."""
