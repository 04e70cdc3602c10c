#!/usr/bin/env python3
"""A scripted honest peer for tests/script-peer.sh: it plays the real side
of a scenario on 127.0.0.1 (port 0: the port is printed on stdout, one
line) where the simulated twin behaves differently, and prints what uctls
did, one line per event.  It never outlives MAX_RUN seconds.

usage: script-peer.py MODE CHAIN KEY CA

modes:
  xmpp-r      an XMPP receiving server for example.com (RFC 6120): STARTTLS
              required, then SASL EXTERNAL *and* dialback offered whatever
              the initiating server presented (as ejabberd and Openfire
              do); prints `auth EXTERNAL' or `dialback' for what it got,
              and accepts dialback (type='valid')
  traversal-e an Expressway-E: TLS with the whole chain CHAIN (leaf and
              intermediate), SIP OPTIONS answered 200; then a second TLS
              connection (the SSH tunnel) sending the whole chain again,
              where a real Expressway-E presents its leaf alone; prints
              `options' and `tunnel'
CHAIN: PEM, the certificate and its intermediates; KEY: its key; CA: PEM,
the CAs whose client certificates are accepted.
"""
import re
import socket
import ssl
import sys
import time

MAX_RUN = 20.0
NS_STREAM = "http://etherx.jabber.org/streams"


class Peer:
    def __init__(self, conn, end):
        self.conn, self.end, self.buf = conn, end, b""

    def read_until(self, pattern):
        """Read until PATTERN (bytes regex) is in what arrived; the match."""
        while True:
            m = re.search(pattern, self.buf, re.S)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = self.end - time.monotonic()
            if left <= 0:
                raise TimeoutError("waited for %r, got %r" % (pattern, self.buf[-200:]))
            self.conn.settimeout(left)
            data = self.conn.recv(65536)
            if not data:
                raise EOFError("closed while waiting for %r, got %r" % (pattern, self.buf[-200:]))
            self.buf += data

    def send(self, data):
        self.conn.settimeout(max(0.05, self.end - time.monotonic()))
        self.conn.sendall(data.encode() if isinstance(data, str) else data)

    def drain(self):
        """Read until uctls closes (or the deadline)."""
        try:
            while time.monotonic() < self.end:
                self.conn.settimeout(max(0.05, self.end - time.monotonic()))
                if not self.conn.recv(65536):
                    return
        except (OSError, ssl.SSLError):
            return


def tls_context(chain, key, ca):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain, key)
    ctx.load_verify_locations(ca)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx


def header(stream_id):
    return ("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
            "xmlns:stream='%s' xmlns:db='jabber:server:dialback' from='example.com' "
            "to='example.org' id='%s' version='1.0'>" % (NS_STREAM, stream_id))


def xmpp_r(lsock, ctx, end):
    conn, _ = lsock.accept()
    p = Peer(conn, end)
    p.read_until(rb"<stream:stream[^>]*>")
    p.send(header("s1") + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
           "<required/></starttls></stream:features>")
    p.read_until(rb"<starttls[^>]*>")
    p.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    p.conn = ctx.wrap_socket(conn, server_side=True)
    p.buf = b""
    p.read_until(rb"<stream:stream[^>]*>")
    p.send(header("s2") + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
           "<mechanism>EXTERNAL</mechanism></mechanisms>"
           "<dialback xmlns='urn:xmpp:features:dialback'/></stream:features>")
    m = p.read_until(rb"<(auth|db:result)\b[^>]*?(/>|>.*?</\1>)")
    if m.group(1) == b"auth":
        print("auth %s" % ("EXTERNAL" if b"EXTERNAL" in m.group(0) else m.group(0).decode()),
              flush=True)
        p.send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>"
               "</stream:stream>")
    else:
        print("dialback", flush=True)
        p.send("<db:result from='example.com' to='example.org' type='valid'/>")
    p.drain()


def traversal_e(lsock, ctx, end):
    conn, _ = lsock.accept()
    p = Peer(ctx.wrap_socket(conn, server_side=True), end)
    p.read_until(rb"\r\n\r\n")  # a CRLF keep-alive ping before the request
    while not re.match(rb"OPTIONS ", p.buf.lstrip(b"\r\n")):
        p.read_until(rb"\r\n\r\n")
    m = p.read_until(rb"OPTIONS [^\r\n]*\r\n(.*?)\r\n\r\n")
    heads = [h for h in m.group(1).decode().split("\r\n")
             if h.split(":")[0].strip().lower() in ("via", "from", "to", "call-id", "cseq")]
    heads = [h + ";tag=script-e" if h.lower().startswith("to:") else h for h in heads]
    p.send("SIP/2.0 200 OK\r\n" + "".join(h + "\r\n" for h in heads) + "Content-Length: 0\r\n\r\n")
    print("options", flush=True)
    p.drain()
    conn2, _ = lsock.accept()
    try:
        p2 = Peer(ctx.wrap_socket(conn2, server_side=True), end)
        print("tunnel", flush=True)
        p2.drain()
    except (OSError, ssl.SSLError) as e:
        print("tunnel refused: %s" % e, flush=True)


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("xmpp-r", "traversal-e"):
        sys.stderr.write(__doc__)
        sys.exit(2)
    mode, chain, key, ca = sys.argv[1:]
    ctx = tls_context(chain, key, ca)
    end = time.monotonic() + MAX_RUN
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(2)
    lsock.settimeout(MAX_RUN)
    print(lsock.getsockname()[1], flush=True)
    try:
        (xmpp_r if mode == "xmpp-r" else traversal_e)(lsock, ctx, end)
    except (OSError, ssl.SSLError, TimeoutError, EOFError) as e:
        print("error: %s" % e, flush=True)


if __name__ == "__main__":
    main()
