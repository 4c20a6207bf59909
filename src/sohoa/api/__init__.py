"""Every way into sohoa, kept thin: the HTTP API (FastAPI), and the `sohoa` command line."""
