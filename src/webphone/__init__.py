"""webphone: a SIP-over-WebRTC softphone for the browser, run by a Python server."""

__version__ = "0.1.0"
