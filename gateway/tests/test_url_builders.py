"""The test processes share werkzeug's URL builders between the apps their tests build
(``_share_url_builders``, the root ``conftest.py``): a shared builder must build, for each
route, the URL werkzeug's own would."""

from __future__ import annotations

import uuid
from typing import Any

from werkzeug.routing import Rule
from werkzeug.routing.converters import IntegerConverter, UUIDConverter


def _sample(converter: Any) -> Any:
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=7)
    if isinstance(converter, IntegerConverter):
        return 7
    return "relevé 7/b" if converter.regex == "[^/].*?" else "relevé 7"  # the path converter takes slashes


def test_each_route_of_a_later_app_builds_with_the_first_app_s_builder_the_url_werkzeug_builds(stand_in_app):
    werkzeug_builder = Rule._compile_builder.__wrapped__  # type: ignore[attr-defined]
    first, _ = stand_in_app()
    later, _ = stand_in_app()
    first_rules = {(rule.rule, rule.endpoint): rule for rule in first.url_map.iter_rules()}
    for rule in later.url_map.iter_rules():
        assert rule._build.__func__ is first_rules[rule.rule, rule.endpoint]._build.__func__  # shared
        values = {name: _sample(rule._converters[name]) for name in rule.arguments}
        for append_unknown, query in ((False, {}), (True, {"page": "2 é", "tri": ["a", "b"]})):
            expected = werkzeug_builder(rule, append_unknown).__get__(rule, None)(**values, **query)
            assert rule.build({**values, **query}, append_unknown) == expected, rule.rule
