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
"""
import random
import select
import socket
import ssl
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


def main():
    mode = sys.argv[1]
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
