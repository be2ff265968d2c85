"""Helpers for tests that need real services: network namespace, Kamailio, SIPp."""
