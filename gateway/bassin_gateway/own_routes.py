"""Routes the gateway answers from its own database — sessions, users, permissions, the
portal's and partners' accounts — declared like every other route (``ServiceApi``), so
that the API document has them, but with no service behind them: ``/readyz`` asks the
services of the other route tables only."""

from __future__ import annotations

from bassin_gateway.routing import ServiceApi


class GatewayApi(ServiceApi):
    """A route table of the gateway's own; ``name`` names it and its prefix."""

    # Its writes may change who a caller is or what it may do: each forgets the callers.
    writes_no_caller = False
