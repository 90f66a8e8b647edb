"""The gateway's process, which holds no service, rebuilds the services' domain errors."""

from __future__ import annotations

import subprocess
import sys

GATEWAY_ONLY = """
import bassin_gateway.server  # what the gateway's image runs
from nameko.exceptions import deserialize, serialize
from bassin_common.errors import DOMAIN_ERRORS, ValidationFailed
errors = [ValidationFailed("bad", {"q": ["too long"]}), *(kind("x") for kind in DOMAIN_ERRORS)]
for error in errors:
    rebuilt = deserialize(serialize(error))
    assert type(rebuilt) is type(error), (type(error).__name__, type(rebuilt).__name__)
assert deserialize(serialize(ValidationFailed("bad", {"q": ["too long"]}))).errors == {"q": ["too long"]}
import sys
assert "bassin_common.service" not in sys.modules, "the gateway must not need the services' edge"
print("ok")
"""


def test_domain_errors_arrive_as_themselves_in_a_process_without_services() -> None:
    result = subprocess.run([sys.executable, "-c", GATEWAY_ONLY], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
