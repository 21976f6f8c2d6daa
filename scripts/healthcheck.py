"""The web container's healthcheck (docker-compose.yml): ``GET /healthz`` from inside the
container, as the proxy sends it. With DEBUG off Django answers only the hosts in
``ALLOWED_HOSTS`` (400 for ``127.0.0.1``), so the request names the first of them; ``/healthz``
is exempt from the HTTPS redirect (``SECURE_REDIRECT_EXEMPT``). Exits 0 on 200, else 1.

Standard library only: it runs every 30 s and must not start Django.
"""

import os
import sys
import urllib.error
import urllib.request


def host(allowed_hosts):
    """The first usable name in ``ALLOWED_HOSTS`` (``.example.vn`` -> ``example.vn``)."""
    for name in allowed_hosts.split(","):
        name = name.strip().lstrip(".")
        if name and "*" not in name:
            return name
    return "localhost"


def main(environ=os.environ):
    url = f"http://127.0.0.1:{environ.get('PORT', '8000')}/healthz"
    request = urllib.request.Request(url, headers={"Host": host(environ.get("ALLOWED_HOSTS", ""))})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - fixed URL
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"healthcheck: {url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
