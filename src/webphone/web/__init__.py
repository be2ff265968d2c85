"""The web server as an ASGI app: pages, webphone.js, the gateway, /sip (DESIGN.md, layer 6)."""

from .app import PACKAGE_STATIC, create_app
from .settings import ConfigError, Settings

__all__ = ["PACKAGE_STATIC", "ConfigError", "Settings", "create_app"]
