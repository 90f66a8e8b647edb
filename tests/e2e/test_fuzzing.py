"""Schemathesis fuzzes every operation of the API document through the whole stack, as the
manager of a company: requests drawn from the document's schemas, valid ones and invalid
ones. Whatever comes in, the answer is never a 500, always what the document says
(status, content type, body, headers), and invalid input is refused with a 4xx.

The number of requests per operation and mode is ``BASSIN_FUZZ_EXAMPLES`` (default 25): a
long run before a release is ``BASSIN_FUZZ_EXAMPLES=500 ./bassin test tests/e2e/test_fuzzing.py``.
"""

from __future__ import annotations

import os

import hypothesis
import schemathesis
from hypothesis import HealthCheck, given
from schemathesis import GenerationMode, checks

from bassin_gateway.api.docs import DOCUMENT as DOCUMENT_FILE
from conftest import Stack

EXAMPLES = int(os.environ.get("BASSIN_FUZZ_EXAMPLES", "25"))
# Invalid requests must be refused with one of schemathesis' usual statuses, or with 413: a
# body above the gateway's limit (``max_request_bytes``) is refused whole before any field
# is read, and a negative draw of a long field (a signature's image) can be that large.
REFUSALS = [*schemathesis.config.ChecksConfig().negative_data_rejection.expected_statuses, "413"]
SCHEMA = schemathesis.openapi.from_path(
    DOCUMENT_FILE,
    config=schemathesis.config.SchemathesisConfig.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}}
    ),
)
# What every answer must satisfy; invalid requests must moreover be refused.
CONFORMANCE = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
MODES = {
    GenerationMode.POSITIVE: CONFORMANCE,
    GenerationMode.NEGATIVE: [*CONFORMANCE, checks.negative_data_rejection],
}


def test_no_request_drawn_from_the_document_breaks_an_operation(stack: Stack) -> None:
    company = stack.new_company()
    app = stack.client.application
    failures = []
    for result in SCHEMA.get_all_operations():
        operation = result.ok()
        for mode, wanted in MODES.items():

            @hypothesis.settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,  # the same requests each run: a failure reproduces
                suppress_health_check=list(HealthCheck),
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def exercise(case: schemathesis.Case) -> None:
                # The token only: every other header (Idempotency-Key, If-Match...) is drawn.
                response = case.call(app=app, headers=company.auth)
                case.validate_response(response, checks=wanted, headers=company.auth)  # noqa: B023 (run at once)

            try:
                exercise()
            except (Exception, BaseExceptionGroup) as failure:  # every operation's, reported together
                failures.append(f"{operation.label} ({mode.value}):\n{failure}")
    assert not failures, "\n\n".join(failures)
