"""Tests reach only this machine: PostgreSQL, Redis and the live test server on the loopback.

pytest-socket (``--allow-hosts`` in pyproject.toml) refuses any other address before a packet
leaves, so a test that would call an outside service fails instead.
"""

import socket

import pytest
import pytest_socket


def _guard_is_installed():
    return socket.socket.connect is not pytest_socket._true_connect


def test_a_test_cannot_connect_to_an_outside_address():
    assert _guard_is_installed()  # never try the address below without the guard
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.warns(UserWarning), pytest.raises(pytest_socket.SocketConnectBlockedError):
        sock.connect(("203.0.113.10", 443))  # TEST-NET-3: documentation only, never routed


@pytest.mark.parametrize("family, host", [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
def test_a_test_can_connect_to_the_loopback(family, host):
    try:
        server = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        pytest.skip(f"no {host} on this machine")
    with server:
        try:
            server.bind((host, 0))
        except OSError:
            pytest.skip(f"no {host} on this machine")
        server.listen(1)
        with socket.socket(family, socket.SOCK_STREAM) as client:
            client.connect(server.getsockname()[:2])
            accepted, _address = server.accept()
            accepted.close()
