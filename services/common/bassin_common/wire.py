"""How domain errors cross the RPC wire: as themselves.

nameko serialises an exception raised by an RPC method with its type's module path and
its arguments; the caller's client rebuilds it only if that path is registered in
nameko's exception registry, and otherwise raises a ``RemoteError`` (which the gateway
must treat as a fault: 500). Both sides of a call import this module — the services'
edge (``bassin_common.service``) and the gateway's RPC client — so that a ``NotFound``
raised by a use case arrives as a ``NotFound``.
"""

from __future__ import annotations

from nameko.exceptions import get_module_path, registry

from bassin_common.errors import DOMAIN_ERRORS

for _error in DOMAIN_ERRORS:
    registry[get_module_path(_error)] = _error
