"""``python -m bassin_common.probe URL``: exit 0 when ``URL`` answers 2xx within 3 s, 1
otherwise. The images' HEALTHCHECK (they have no curl); nothing else is imported."""

from __future__ import annotations

import sys
import urllib.request


def main(argv: list[str]) -> int:
    (url,) = argv
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if 200 <= response.status < 300 else 1
    except Exception as error:
        print(f"{url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
