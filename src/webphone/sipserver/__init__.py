"""The embedded SIP server: registrar, authenticating stateful proxy and built-in services.

    server = SipServer(ServerConfig(ws=None), users=UserStore.open())
    await server.start()
    app = Starlette(routes=[WebSocketRoute("/sip", server.websocket_app())])

See `server.py` for the asyncio side, `core.py` for the protocol, `services.py` for services.
"""

from .auth import DictDirectory, UserDirectory
from .config import ConfigError, ServerConfig, parse_hostport
from .core import ServerCore
from .registrar import Binding, Origin, RegisterResult, Registrar
from .routing import Target
from .server import SipServer
from .service_call import CallState, ServiceCall
from .services import BusyService, Reply, Service, ServiceRegistry, default_services

__all__ = [
    "Binding",
    "BusyService",
    "CallState",
    "ConfigError",
    "DictDirectory",
    "Origin",
    "RegisterResult",
    "Registrar",
    "Reply",
    "ServerConfig",
    "ServerCore",
    "Service",
    "ServiceCall",
    "ServiceRegistry",
    "SipServer",
    "Target",
    "UserDirectory",
    "default_services",
    "parse_hostport",
]
