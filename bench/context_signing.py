"""bench/context_signing: what signing and verifying a context or an event costs (ADR 0035).

    .venv/bin/python bench/context_signing.py [--repeat 7] [--number 20000]

Times, in one process and one run, the signing of an RPC's context (what the gateway adds
to each call), its verification (what a service adds before each call), and the same for
a typical event envelope (the relay, the consumer); beside them, as the same-run baseline,
what the platform already did per call without signing: ``to_context_data`` and
``from_context_data``. Prints the best of ``--repeat`` runs, in µs of this process's CPU
per operation (CPU time, less disturbed than wall time by other processes), and the
machine's load average (the figures are still noisy on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import time
import timeit
import uuid

from bassin_common.config import Settings
from bassin_common.events import Event
from bassin_common.signing import EVENT_SIGNATURE_HEADER, ContextSigner
from bassin_common.tenancy import RequestContext


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=20000)
    args = parser.parse_args()

    signer = ContextSigner.from_settings(Settings(context_keys=("n" * 48, "o" * 48)))
    context = RequestContext(
        uuid.uuid4(), "user-42", frozenset({"manager", "sales"}), str(uuid.uuid4()), str(uuid.uuid4()), 1.8e9
    )
    sent = signer.signed_context_data(context)
    data = {
        "sale_id": str(uuid.uuid4()),
        "shop_id": str(uuid.uuid4()),
        "lines": [{"article_id": str(uuid.uuid4()), "quantity": "2", "unit_price": "19.90"} for _ in range(3)],
        "total": "59.70",
    }
    message = Event("sale_completed", context.tenant_id, "pos", data).to_message()
    headers = {EVENT_SIGNATURE_HEADER: signer.sign_event(message)}
    assert signer.verified(sent) == context and signer.event_is_authentic(message, headers)

    cases = {
        "context: to_context_data (baseline)": lambda: context.to_context_data(),
        "context: from_context_data (baseline)": lambda: RequestContext.from_context_data(sent),
        "context: sign (signed_context_data)": lambda: signer.signed_context_data(context),
        "context: verify (verified)": lambda: signer.verified(sent),
        "event: sign (relay)": lambda: signer.sign_event(message),
        "event: verify (consumer)": lambda: signer.event_is_authentic(message, headers),
    }
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for name, case in cases.items():
        runs = timeit.repeat(case, repeat=args.repeat, number=args.number, timer=time.process_time)
        best = min(runs) / args.number
        print(f"{name:40s} {best * 1e6:7.2f} µs")


if __name__ == "__main__":
    main()
