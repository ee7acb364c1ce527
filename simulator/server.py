"""Transports: an SSH server (paramiko, password auth) and a Telnet server (sockets,
IAC negotiation), one thread per connection, both feeding a dialect's CliSession."""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import threading

import paramiko

from .core import Terminal, server_socket, ssh_fingerprint

logging.getLogger("simulator.ssh").setLevel(logging.CRITICAL)

_logger = logging.getLogger(__name__)

# Telnet bytes (RFC 854/857/858)
IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
ECHO, SUPPRESS_GO_AHEAD = 1, 3

_KEY_CACHE = {}
_KEY_LOCK = threading.Lock()


def load_host_key(path=None):
    """The server key: read from ``path`` (created there if missing, so a pinned
    fingerprint survives restarts), else one RSA key generated once per process."""
    with _KEY_LOCK:
        if path:
            if path in _KEY_CACHE:
                return _KEY_CACHE[path]
            if os.path.exists(path):
                key = _read_key(path)
            else:
                key = paramiko.RSAKey.generate(2048)
                key.write_private_key_file(path)
            _KEY_CACHE[path] = key
            return key
        if None not in _KEY_CACHE:
            _KEY_CACHE[None] = paramiko.RSAKey.generate(2048)
        return _KEY_CACHE[None]


def _read_key(path):
    for cls in (paramiko.RSAKey, paramiko.Ed25519Key, paramiko.ECDSAKey):
        try:
            return cls.from_private_key_file(path)
        except (paramiko.SSHException, ValueError):
            continue
    raise ValueError(f"{path}: not an RSA, Ed25519 or ECDSA private key")


class TelnetStream:
    """Socket stream that strips Telnet commands from the input and escapes IAC on output."""

    def __init__(self, sock):
        self.sock = sock
        self.pending = b""

    def negotiate(self):
        # Server echoes and runs character-at-a-time, like the real OLTs do.
        self.sock.sendall(bytes([IAC, WILL, ECHO, IAC, WILL, SUPPRESS_GO_AHEAD, IAC, DO, SUPPRESS_GO_AHEAD]))

    def recv(self, size):
        while True:
            data = self.sock.recv(size)
            if not data:
                return b""
            clean = self._strip(self.pending + data)
            if clean:
                return clean

    def _strip(self, data):
        out = bytearray()
        i = 0
        self.pending = b""
        while i < len(data):
            byte = data[i]
            if byte != IAC:
                out.append(byte)
                i += 1
                continue
            if i + 1 >= len(data):
                self.pending = data[i:]
                break
            cmd = data[i + 1]
            if cmd == IAC:
                out.append(IAC)
                i += 2
            elif cmd in (WILL, WONT, DO, DONT):
                if i + 2 >= len(data):
                    self.pending = data[i:]
                    break
                self._answer(cmd, data[i + 2])
                i += 3
            elif cmd == SB:
                end = data.find(bytes([IAC, SE]), i + 2)
                if end < 0:
                    self.pending = data[i:]
                    break
                i = end + 2
            else:
                i += 2
        return bytes(out)

    def _answer(self, cmd, option):
        # Refuse what we did not offer; accept the client agreeing to ours.
        if cmd == DO and option not in (ECHO, SUPPRESS_GO_AHEAD):
            self.sock.sendall(bytes([IAC, WONT, option]))
        elif cmd == WILL and option != SUPPRESS_GO_AHEAD:
            self.sock.sendall(bytes([IAC, DONT, option]))

    def send(self, data):
        self.sock.sendall(data.replace(bytes([IAC]), bytes([IAC, IAC])))

    def hung_up(self):
        """The client closed its end (peeked: the input stays for the session)."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
            if not readable:
                return False
            return self.sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class ChannelStream:
    """paramiko channel as a stream."""

    def __init__(self, channel, transport):
        self.channel = channel
        self.transport = transport

    def recv(self, size):
        return self.channel.recv(size)

    def send(self, data):
        self.channel.sendall(data)

    def hung_up(self):
        channel = self.channel
        return channel.closed or channel.eof_received or not self.transport.is_active()

    def close(self):
        try:
            self.channel.close()
        finally:
            self.transport.close()


class _SshInterface(paramiko.ServerInterface):
    def __init__(self, device):
        self.device = device
        self.shell = threading.Event()

    def check_auth_password(self, username, password):
        if self.device.check_login(username, password):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return "password"

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args):
        return True

    def check_channel_window_change_request(self, *args):
        return True

    def check_channel_shell_request(self, channel):
        self.shell.set()
        return True


class Server:
    """Listens on host:port and runs one dialect session per connection in its own thread."""

    def __init__(self, device, protocol="ssh", host="127.0.0.1", port=0, host_key=None):
        if protocol not in ("ssh", "telnet"):
            raise ValueError(f"protocol must be ssh or telnet, not {protocol!r}")
        self.device = device
        self.protocol = protocol
        self.host_key = load_host_key(host_key) if protocol == "ssh" or host_key else None
        self.sock = server_socket(host, port)
        self.sock.settimeout(0.2)  # so stop() is noticed without a connection
        self.host, self.port = self.sock.getsockname()[:2]
        self._stopping = threading.Event()
        self._conns = set()
        self._conns_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._accept_loop, name=f"sim-{device.platform}-{self.port}", daemon=True
        )

    @property
    def host_key_fingerprint(self):
        return ssh_fingerprint(self.host_key.asbytes()) if self.host_key else None

    def start(self):
        self._thread.start()
        return self

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                conn, addr = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            conn.settimeout(None)
            # echo, output and prompt go out as separate small writes: without this,
            # Nagle + delayed ACK add ~40 ms to every command
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._stopping.is_set():
                conn.close()
                break
            with self._conns_lock:
                self._conns.add(conn)
            threading.Thread(
                target=self._serve, args=(conn, addr), daemon=True, name=f"sim-{self.device.platform}-{self.port}-conn"
            ).start()

    def _serve(self, conn, addr):
        try:
            if self.protocol == "ssh":
                self._serve_ssh(conn, addr)
            else:
                stream = TelnetStream(conn)
                stream.negotiate()
                session = self.device.session_class(self.device, Terminal(stream), "telnet", addr[0])
                session.run(needs_login=True)
        except (EOFError, ConnectionError):
            _logger.debug("client %s hung up", addr[0])  # routine for a device
        except Exception:  # a broken client must never kill the simulator
            if not self._stopping.is_set():
                _logger.exception("simulator connection failed")
        finally:
            with self._conns_lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _serve_ssh(self, conn, addr):
        transport = paramiko.Transport(conn)
        # The server side logs under its own name: a client hanging up is
        # routine for a device and must not read like a client error.
        transport.set_log_channel("simulator.ssh")
        transport.add_server_key(self.host_key)
        interface = _SshInterface(self.device)
        try:
            transport.start_server(server=interface)
        except (paramiko.SSHException, EOFError, OSError):
            transport.close()
            return
        channel = transport.accept(timeout=20)
        if channel is None or not interface.shell.wait(timeout=20):
            transport.close()
            return
        session = self.device.session_class(self.device, Terminal(ChannelStream(channel, transport)), "ssh", addr[0])
        session.run(needs_login=False)

    def stop(self):
        self._stopping.set()
        with contextlib.suppress(OSError):
            self.sock.close()
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self._thread.join(timeout=5)
