"""A real SMTP server in the test process (aiosmtpd) that stores what arrives, or refuses it."""
import email
import socket
import threading
from email import policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """Stores every accepted envelope; `refuse` next deliveries get 550; `on_data` runs before the answer."""

    def __init__(self):
        self.envelopes = []
        self.refuse = 0
        self.on_data = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                return "550 5.7.1 Zustellung abgelehnt (Test)"
            self.envelopes.append(envelope)
            count = len(self.envelopes)
        if self.on_data:
            self.on_data(count)
        return "250 OK"

    def messages(self):
        return [email.message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]

    def message_ids(self):
        return [m["Message-ID"].strip() for m in self.messages()]


class SMTPServer:
    def __init__(self):
        self.recorder = Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
