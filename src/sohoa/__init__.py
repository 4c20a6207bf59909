"""sohoa: digitize, search and reuse dossiers and results of Vietnam's one-stop counters."""

__version__ = "0.1.0"
