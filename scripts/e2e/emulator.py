"""The local AWS emulator: moto in server mode on 127.0.0.1, with this project's extensions, always stopped.

The server runs in a thread of the harness process, so the extensions (scripts/e2e/extensions.py) are
patched into the very backends that serve terraform's and boto3's requests, and the server ends with
the process whatever happens: ``with emulator() as url`` stops it on success, failure and Ctrl-C.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
from collections.abc import Iterator
from types import FrameType

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from .extensions import install
from .gameday import RegionGate

LOOPBACK = "127.0.0.1"
MANAGED_POLICIES = "MOTO_IAM_LOAD_MANAGED_POLICIES"


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the run like Ctrl-C, so every `finally` (server stop, destroy) runs."""
    raise KeyboardInterrupt(f"signal {signum}")


class GatedMotoServer(ThreadedMotoServer):
    """moto's threaded server with the region gate in front of its app (open until the harness cuts a region)."""

    def __init__(self, gate_holder: list[RegionGate], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._gate_holder = gate_holder

    def _server_entry(self) -> None:
        gate = RegionGate(DomainDispatcherApplication(create_backend_app))
        self._gate_holder.append(gate)
        self._server = make_server(self._ip_address, self._port, gate, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


# The running emulator's gate: the harness cuts a region off and reads the calls into it through this.
GATES: list[RegionGate] = []


@contextlib.contextmanager
def emulator() -> Iterator[str]:
    """Start moto (extensions installed) on a free loopback port; yield its URL; stop it on exit."""
    # The stack attaches AWS managed policies (SSM core, RDS monitoring, Backup); moto loads them on request.
    # Restored on exit: in a test process, every later moto IAM backend would load them too (slow).
    previous_policies = os.environ.get(MANAGED_POLICIES)
    os.environ[MANAGED_POLICIES] = "true"
    install()
    # werkzeug logs one line per request: thousands per apply.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    GATES.clear()
    server = GatedMotoServer(GATES, ip_address=LOOPBACK, port=free_port(), verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        GATES.clear()
        signal.signal(signal.SIGTERM, previous)
        if previous_policies is None:
            os.environ.pop(MANAGED_POLICIES, None)
        else:
            os.environ[MANAGED_POLICIES] = previous_policies
