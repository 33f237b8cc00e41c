"""What operators see of a running server: Prometheus metrics, OpenTelemetry traces and log
lines, each off or cheap unless configured.

This package sits below `app.http` and `app.db`: it knows nothing of them. What it measures is
handed to it (the envelope calls a request observer, the lifespan names the pools to watch,
the log configuration is given the filter that adds the request id).
"""
