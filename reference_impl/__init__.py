"""Reference ML system the course teaches on: credit-card fraud detection, data to monitored API."""

__version__ = "0.1.0"
