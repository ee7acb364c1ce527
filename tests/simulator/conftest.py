"""Fixtures for the simulator's own tests: a raw terminal client (fast, exact bytes)
next to the real Netmiko client used in the login tests."""

import re
import socket
import time

import paramiko
import pytest

import simulator

PROMPT = r"[>#]\s*$"


class RawShell:
    """Minimal interactive client: what a terminal user would type and see."""

    def __init__(self, sim, username, password, protocol=None):
        self.protocol = protocol or sim.protocol
        self.buffer = ""
        if self.protocol == "ssh":
            self.client = paramiko.SSHClient()
            self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            self.client.connect(
                sim.host,
                sim.port,
                username=username,
                password=password,
                look_for_keys=False,
                allow_agent=False,
                timeout=10,
            )
            self.chan = self.client.invoke_shell()
            self.chan.settimeout(10)
        else:
            self.sock = socket.create_connection((sim.host, sim.port), timeout=10)
            if username is not None:
                self.expect(r"(?i)(user name|login):\s*$")
                self.send(username + "\r\n")
                self.expect(r"(?i)password:\s*$")
                self.send(password + "\r\n")

    def send(self, text):
        data = text.encode()
        if self.protocol == "ssh":
            self.chan.sendall(data)
        else:
            self.sock.sendall(data)

    def _recv(self):
        if self.protocol == "ssh":
            data = self.chan.recv(65536)
        else:
            data = self.sock.recv(65536)
            if data:
                data = re.sub(rb"\xff[\xfb-\xfe].", b"", data, flags=re.DOTALL)
                if not data:
                    return
        if not data:
            raise EOFError(self.buffer)
        self.buffer += data.decode("utf-8", "replace").replace("\r\n", "\n")

    def expect(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.buffer, re.MULTILINE)
            if found:
                text, self.buffer = self.buffer[: found.end()], self.buffer[found.end() :]
                return text
            if time.monotonic() > deadline:
                raise TimeoutError(f"{pattern!r} not seen in {self.buffer!r}")
            self._recv()

    def cmd(self, line, pattern=PROMPT):
        self.send(line + "\n")
        return self.expect(pattern)

    def closed(self, timeout=5):
        """True when the device closes the connection."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self._recv()
        except (EOFError, OSError):
            return True
        return False

    def close(self):
        if self.protocol == "ssh":
            self.client.close()
        else:
            self.sock.close()


@pytest.fixture
def start_sim():
    sims = []

    def _start(**kwargs):
        kwargs.setdefault("username", "admin")
        kwargs.setdefault("password", "pw")
        sim = simulator.start(**kwargs)
        sims.append(sim)
        return sim

    yield _start
    for sim in sims:
        sim.stop()


@pytest.fixture
def shell():
    shells = []

    def _shell(sim, username="admin", password="pw", protocol=None):
        sh = RawShell(sim, username, password, protocol)
        shells.append(sh)
        return sh

    yield _shell
    for sh in shells:
        sh.close()
