"""usocket.ssl: the module ussl under the package's name (TLS for usocket sockets)."""

from ussl import *  # noqa: F401,F403
from ussl import __doc__, create_default_context, wrap_socket  # noqa: F401
