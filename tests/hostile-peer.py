#!/usr/bin/env python3
"""A hostile real peer for tests/hostile.sh: it accepts one connection on
127.0.0.1 (port 0: the port is printed on stdout, one line) and then keeps
uctls busy without ever completing a step.  It never outlives MAX_RUN
seconds, whatever uctls does.

usage: hostile-peer.py MODE [CERT KEY]

modes:
  silent       nothing at all
  flood        random bytes without end, as fast as the socket takes them
  junk-trickle a line that is not TLS, then one byte every 200 ms
  tls-trickle  a TLS handshake record header announcing 16 KiB, then one
               byte every 200 ms
  trickle      an XMPP stream header, one byte every 200 ms (plain TCP,
               before STARTTLS)
  whitespace   a whole XMPP stream header, then a space every 200 ms
  stanzas      a whole XMPP stream header, then an unknown stanza every
               200 ms
  sip-100      TLS (CERT and KEY, PEM), then `SIP/2.0 100 Trying' every
               200 ms, never a final answer
  sip-crlf     TLS (CERT and KEY, PEM), then a CRLF CRLF ping every 200 ms

usage: hostile-peer.py mb WHAT ROLE CHAIN KEY [PORT]

  A peer that misbehaves as a scenario's <misbehave what=WHAT> does
  (uctls-scenario(5)), played for real: ROLE server listens (the port on
  stdout, as above; uctls --remote), ROLE client connects to 127.0.0.1:PORT
  (uctls --listen).  CHAIN and KEY (PEM) are what it presents.  WHAT:
  garbage, truncate, stall, stall-during, trickle, close, close-during,
  second-hello (client), big-chain (CHAIN repeated to 512 certificates),
  endless-header (SIP over TLS), endless-stanza (XMPP, plain TCP),
  renegotiate (TLS 1.2, through `openssl s_server' / `s_client', which can
  renegotiate: Python's ssl module cannot).  Its flights are real ones,
  from Python's ssl (OpenSSL) on memory buffers, cut as WHAT says; the
  handshakes that stall or close do so in TLS 1.2, where the client still
  waits for the server's Finished.
"""
import os
import random
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import time

MAX_RUN = 30.0
TICK = 0.2

STREAM_HEADER = (
    b"<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    b"xmlns:stream='http://etherx.jabber.org/streams' from='hostile.example.com' "
    b"id='hostile-1' version='1.0'>"
)


EOF_SEEN = []


def drain(conn):
    """Read what uctls sent, without blocking.  Its half-close (EOF) does
    not stop this peer: only a failed send does."""
    try:
        while not EOF_SEEN and select.select([conn], [], [], 0)[0]:
            if not conn.recv(65536):
                EOF_SEEN.append(1)
    except (ssl.SSLWantReadError, BlockingIOError):
        pass
    except OSError:
        return False
    return True


def send(conn, data, end):
    """Send DATA unless the deadline passed; False when uctls is gone."""
    conn.settimeout(max(0.05, end - time.monotonic()))
    try:
        conn.sendall(data)
    except (OSError, socket.timeout):
        return False
    return drain(conn)


def flood(conn, end):
    # The same garbage every run: what a TLS stack says of random bytes
    # depends on their first octets (a record type it does not know, or a
    # version it refuses), and the test asserts one reason.  Its first
    # octet, 0x00, is no TLS content type.
    junk = b"\x00" + random.Random(1).randbytes(65535)
    while time.monotonic() < end and send(conn, junk, end):
        pass


def trickle(conn, end, first, each):
    """Send FIRST whole, then EACH (bytes, or an iterator of them) a tick
    apart."""
    if first and not send(conn, first, end):
        return
    for chunk in each:
        if time.monotonic() >= end:
            return
        time.sleep(TICK)
        if not send(conn, chunk, end):
            return


def forever(data):
    while True:
        yield data


MB_TICK = 0.01
XMPP_HEADER_I = (
    b"<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    b"xmlns:stream='http://etherx.jabber.org/streams' from='example.org' "
    b"to='example.com' version='1.0'>"
)


def hold(conn, end):
    """Read and drop what uctls sends until it closes or the deadline."""
    try:
        while time.monotonic() < end:
            conn.settimeout(max(0.05, end - time.monotonic()))
            if not conn.recv(65536):
                return
    except OSError:
        return


class Tls:
    """Python's ssl on memory buffers: the bytes of a real handshake."""

    def __init__(self, role, chain, key, tls12):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if role == "server"
                             else ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.load_cert_chain(chain, key)
        if tls12:
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=role == "server")
        self.done = False

    def step(self, data=b""):
        """Feed DATA; the bytes the handshake wants to send."""
        if data:
            self.inc.write(data)
        try:
            self.obj.do_handshake()
            self.done = True
        except ssl.SSLWantReadError:
            pass
        return self.out.read()


def first_flight(conn, t, end):
    """A client's ClientHello; a server's answer to the ClientHello read."""
    out = t.step()
    while not out and time.monotonic() < end:
        conn.settimeout(max(0.05, end - time.monotonic()))
        data = conn.recv(65536)
        if not data:
            return b""
        out = t.step(data)
    return out


def handshake(conn, t, end):
    """The whole handshake, honestly; False when it did not complete."""
    out = t.step()
    while time.monotonic() < end:
        if out:
            conn.sendall(out)
        if t.done:
            return True
        conn.settimeout(max(0.05, end - time.monotonic()))
        data = conn.recv(65536)
        if not data:
            return False
        out = t.step(data)
    return False


def endless(conn, end, first, chunk, wrap=None):
    """FIRST, then CHUNK without end, until uctls is gone."""
    data = first
    try:
        while time.monotonic() < end:
            if wrap is not None:
                wrap.obj.write(data)
                data = wrap.out.read()
            conn.settimeout(max(0.05, end - time.monotonic()))
            conn.sendall(data)
            data = chunk
    except (OSError, ssl.SSLError):
        pass


def big_chain(chain, tmpdir):
    """CHAIN's certificates repeated to 512, in a file beside it."""
    pems = re.findall(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?",
                      open(chain, "rb").read(), re.S)
    path = os.path.join(tmpdir, "big-chain-%d.pem" % os.getpid())
    with open(path, "wb") as f:
        for i in range(512):
            f.write(pems[i % len(pems)])
    return path


def renegotiate(role, chain, key, port, end):
    """openssl s_server / s_client, told to renegotiate once the TLS 1.2
    handshake is done (`r' / `R' on its input)."""
    if role == "server":
        args = ["openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
                "-tls1_2", "-cert", chain, "-key", key]
    else:
        args = ["openssl", "s_client", "-connect", "127.0.0.1:%s" % port, "-tls1_2",
                "-cert", chain, "-key", key]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        renegotiate_with(proc, role, end)
    finally:
        proc.kill()
        proc.wait()


def renegotiate_with(proc, role, end):
    if role == "server":
        # "ACCEPT 127.0.0.1:PORT" once it listens: the port goes to uctls.
        m = re.search(rb"ACCEPT 127\.0\.0\.1:([0-9]+)", wait_for(proc, b"\n", end, b"ACCEPT"))
        print(m.group(1).decode() if m else "", flush=True)
    if wait_for(proc, b"CIPHER is" if role == "server" else b"Verify return code", end):
        proc.stdin.write(b"r\n" if role == "server" else b"R\n")
        proc.stdin.flush()
        wait_for(proc, b"\0never", end)  # until it ends: uctls closed


def wait_for(proc, what, end, after=b""):
    """Reads PROC's output until WHAT (after AFTER); what it read, or b""."""
    buf = b""
    while time.monotonic() < end:
        r, _, _ = select.select([proc.stdout], [], [], max(0.05, end - time.monotonic()))
        if not r:
            continue
        data = os.read(proc.stdout.fileno(), 4096)
        if not data:
            return b""
        buf += data
        if what in buf[buf.find(after) + len(after):] and after in buf:
            return buf
        buf = buf[-4096:]
    return b""


def misbehave(what, role, chain, key, port, end):
    if what == "renegotiate":
        return renegotiate(role, chain, key, port, end)
    # Everything ready before uctls is told the port: its step runs from then.
    if what == "big-chain":
        chain = big_chain(chain, os.path.dirname(os.path.abspath(chain)))
    t = Tls(role, chain, key, what in ("stall-during", "close-during"))
    if role == "server":
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        print(srv.getsockname()[1], flush=True)
        srv.settimeout(MAX_RUN)
        conn, _ = srv.accept()
    else:
        conn = socket.create_connection(("127.0.0.1", int(port)), timeout=MAX_RUN)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        mb_play(conn, what, role, t, end)
    except (OSError, ssl.SSLError):
        pass
    conn.close()


def mb_play(conn, what, role, t, end):
    if what == "close":
        return
    if what == "stall":
        return hold(conn, end)
    if what == "garbage":
        if role == "server":
            conn.settimeout(MAX_RUN)
            conn.recv(65536)
        conn.sendall(b"\x00" + random.Random(1).randbytes(1023))
        return hold(conn, end)
    if what == "endless-stanza":
        if role == "server":
            conn.settimeout(MAX_RUN)
            conn.recv(65536)  # I's stream header
            first = STREAM_HEADER
        else:
            first = XMPP_HEADER_I
        return endless(conn, end, first + b"<hostile xmlns='urn:x:hostile'>", b"a" * 4096)
    if what in ("big-chain", "endless-header"):
        if not handshake(conn, t, end) or what == "big-chain":
            return hold(conn, end)
        line = b"SIP/2.0 200 OK" if role == "server" else b"OPTIONS sip:b@127.0.0.1 SIP/2.0"
        return endless(conn, end, line + b"\r\nVia: SIP/2.0/TLS 127.0.0.1\r\nX-Hostile: ",
                       b"a" * 4096, t)
    flight = first_flight(conn, t, end)
    if what == "truncate":
        conn.sendall(flight[:len(flight) // 2])
    elif what == "trickle":
        for b in flight:
            if time.monotonic() >= end:
                break
            conn.sendall(bytes([b]))
            time.sleep(MB_TICK)
    elif what == "second-hello":
        conn.sendall(flight + flight)
    else:  # stall-during, close-during
        conn.sendall(flight)
    if what == "close-during":
        return
    hold(conn, end)


def main():
    mode = sys.argv[1]
    # Killed (SIGTERM) once uctls is done: clean up (an openssl child) first.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if mode == "mb":
        return misbehave(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5],
                         sys.argv[6] if len(sys.argv) > 6 else None,
                         time.monotonic() + MAX_RUN)
    end = time.monotonic() + MAX_RUN
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    print(srv.getsockname()[1], flush=True)
    srv.settimeout(MAX_RUN)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if mode.startswith("sip-"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
        conn.settimeout(MAX_RUN)
        try:
            conn = ctx.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            return
    if mode == "silent":
        conn.settimeout(MAX_RUN)
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
    elif mode == "flood":
        flood(conn, end)
    elif mode == "junk-trickle":
        trickle(conn, end, b"HTTP/1.1 400 Bad Request\r\n", forever(b"x"))
    elif mode == "tls-trickle":
        # A handshake record of 16384 bytes, TLS 1.2 on the wire.
        trickle(conn, end, b"\x16\x03\x03\x40\x00", forever(b"\x01"))
    elif mode == "trickle":
        trickle(conn, end, b"", (bytes([c]) for c in STREAM_HEADER * 100))
    elif mode == "whitespace":
        trickle(conn, end, STREAM_HEADER, forever(b" "))
    elif mode == "stanzas":
        trickle(conn, end, STREAM_HEADER, forever(b"<hostile xmlns='urn:x:hostile'/>"))
    elif mode == "sip-100":
        trickle(conn, end, b"", forever(
            b"SIP/2.0 100 Trying\r\nVia: SIP/2.0/TLS 127.0.0.1\r\n"
            b"Content-Length: 0\r\n\r\n"))
    elif mode == "sip-crlf":
        trickle(conn, end, b"", forever(b"\r\n\r\n"))
    else:
        sys.exit("hostile-peer.py: unknown mode " + mode)
    conn.close()


if __name__ == "__main__":
    main()
