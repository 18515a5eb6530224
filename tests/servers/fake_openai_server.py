#!/usr/bin/env python3
"""An OpenAI-compatible chat-completions server for tests and benchmarks (stdlib only).

Speaks HTTP/1.1 with keep-alive on 127.0.0.1 (ephemeral port unless --port), prints
`PORT <n>` on stdout once listening, and stops on SIGTERM/SIGINT or when its stdin (a
pipe) closes, so a test that dies still takes the server with it.

--tls-dir DIR: HTTPS with a self-signed certificate for 127.0.0.1/localhost, made with
the openssl tool as DIR/cert.pem + DIR/key.pem unless already there (clients trust
DIR/cert.pem as their CA). ALPN offers h2 and http/1.1 (HTTP/2 through the h2 package:
any number of requests multiplexed on one connection), or http/1.1 only with --no-h2.

  POST /v1/chat/completions   the real protocol: {model, messages, ...} ->
                              {id, object, created, model, choices[{index, message{role,
                              content}, finish_reason}], usage}; content is a pure
                              function of the request.
  POST /v1/completions        the legacy API of base models: {model, prompt, ...} ->
                              {id, object: text_completion, created, model, choices[{index,
                              text, finish_reason}], usage}; the same faults apply.
  GET  /requests              the bodies of the last 1000 completion requests received, as
                              JSON [{path, body}] in arrival order (what went on the wire)
  GET  /stats                 JSON counters (requests, 429s sent, connections,
                              h2_connections, h2_streams, ..., server CPU seconds,
                              late_ms_total: summed lateness of the latency timers,
                              served_ms_total: summed request-to-reply time)
  GET  /v1/models             the one model, for clients that probe

Faults, chosen per request by the `X-Fault` header, by the model name `fault:SPEC`, or
for every request by --fault SPEC. SPEC is comma-separated items:
  latency=MS            answer after MS ms (default --latency-ms)
  status=CODE           answer CODE with an OpenAI error JSON ...
  nonjson               ... or with an HTML body instead
  retry_after=S         add `Retry-After: S` (seconds)
  retry_after_date=S    add `Retry-After: <HTTP date S seconds from now>`
  retry_after_ms=MS     add `retry-after-ms: MS`
  echo_key              401: put the caller's full bearer token in the message
  echo_key_at=N         ... after N bytes of filler (a key crossing a truncation point)
  echo_key_split        ... with a newline in the middle of the token
  echo_headers          200 whose content lists the request's headers as received
                        (Authorization included; shows injected headers too)
  huge=MB               200 with a valid reply whose content is MB MiB (Content-Length;
                        HTTP/1.1 only, as is endless)
  endless               200, chunked, whose content never ends
  usage=P:C             report prompt_tokens P and completion_tokens C (any integers)
  nul                   content with a NUL character (JSON \u0000) in it
  truncate              200 whose JSON body is cut in half
  drop                  close the connection without answering
  hang                  never answer (the client must time out)
  empty                 content ""
  length                finish_reason "length"
  nousage               no usage object
  nochoices             choices []
  reasoning             answer like OpenAI's reasoning models: HTTP 400 (their error
                        JSON) to a body with max_tokens, or with a temperature or top_p
                        other than 1; --reasoning applies it to every request
  first=N               apply the other faults to the first N attempts of an identical
                        request body only, then answer normally
Server-wide limit: --rpm N [--rpm-window-s W] answers 429 (with Retry-After and
retry-after-ms) to any request beyond N*W/60 in the last W seconds (sliding window).
"""

import argparse
import asyncio
import collections
import email.utils
import hashlib
import itertools
import json
import math
import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time

try:  # HTTP/2 (--tls-dir without --no-h2) only; Debian's python3-h2
    import h2.config
    import h2.connection
    import h2.events
    import h2.exceptions
except ImportError:
    h2 = None

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 408: "Request Timeout", 409: "Conflict",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Timeout"}
ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error",
               403: "permission_error", 404: "not_found_error", 429: "rate_limit_error"}


def parse_fault(spec):
    out = {}
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        key, _, value = item.partition("=")
        out[key.strip()] = value.strip() if value else True
    return out


def reasoning_refusal(req):
    """(message, code, extra, param) of OpenAI's 400 to what its reasoning models refuse,
    or None."""
    if "max_tokens" in req:
        return ("Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.", "unsupported_parameter", (),
                "max_tokens")
    for name in ("temperature", "top_p"):
        if name in req and req[name] != 1:
            return (f"Unsupported value: '{name}' does not support {req[name]} with this "
                    "model. Only the default (1) value is supported.", "unsupported_value",
                    (), name)
    return None


def mask_key(key):
    if len(key) <= 8:
        return "*" * len(key)
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


class Server:
    def __init__(self, args):
        self.args = args
        self.default_fault = parse_fault(args.fault)
        self.window = collections.deque()  # arrival times within the rpm window
        self.window_limit = (int(args.rpm * args.rpm_window_s / 60.0)
                             if args.rpm > 0 else 0)
        self.attempts_by_body = collections.Counter()
        self.requests = collections.deque(maxlen=1000)
        self.stats = collections.Counter()
        self.inflight = 0
        self.started = time.monotonic()

    def stats_json(self):
        d = dict(self.stats)
        d["inflight"] = self.inflight
        d["cpu_s"] = time.process_time()
        d["uptime_s"] = time.monotonic() - self.started
        return json.dumps(d, sort_keys=True).encode()

    def rate_limited(self):
        """429 delay in seconds when over the server-side limit, else None."""
        if not self.window_limit:
            return None
        now = time.monotonic()
        while self.window and self.window[0] <= now - self.args.rpm_window_s:
            self.window.popleft()
        if len(self.window) >= self.window_limit:
            return self.window[0] + self.args.rpm_window_s - now
        self.window.append(now)
        return None


class Accept(asyncio.Protocol):
    """Counts the connection and hands it to HTTP/2 when TLS negotiated h2, else to
    HTTP/1.1 (with TLS, connection_made runs after the handshake)."""

    def __init__(self, server):
        self.server = server
        self.impl = None

    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.stats["connections"] += 1
        tls = transport.get_extra_info("ssl_object")
        if tls is not None and tls.selected_alpn_protocol() == "h2":
            self.server.stats["h2_connections"] += 1
            self.impl = H2Conn(self.server)
        else:
            self.impl = Conn(self.server)
        self.impl.connection_made(transport)

    def data_received(self, data):
        self.impl.data_received(data)

    def connection_lost(self, exc):
        if self.impl is not None:
            self.impl.connection_lost(exc)


def tls_context(directory, offer_h2):
    """A server context for a self-signed 127.0.0.1 certificate in `directory`."""
    if offer_h2 and h2 is None:
        sys.exit("--tls-dir offers HTTP/2, which needs the h2 package (python3-h2); "
                 "install it or pass --no-h2")
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    if not (os.path.exists(cert) and os.path.exists(key)):
        os.makedirs(directory, exist_ok=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost",
                        "-keyout", key, "-out", cert],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["h2", "http/1.1"] if offer_h2 else ["http/1.1"])
    return ctx


class Exchange:
    """One request and its reply. Mixed into Conn (HTTP/1.1) and H2Stream (HTTP/2),
    which provide server, closed, timer, respond(), finished() and abort()."""

    def lost(self):
        """The peer is gone (connection closed, stream reset): drop this exchange."""
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.busy:
            self.server.inflight -= 1
            self.busy = False

    def start(self, method, target, headers, body):
        self.busy = True
        self.received = time.monotonic()
        srv = self.server
        srv.inflight += 1
        srv.stats["max_inflight"] = max(srv.stats["max_inflight"], srv.inflight)
        srv.stats["http_requests"] += 1
        self.handle(method, target.split("?")[0], headers, body)

    # --- replies -------------------------------------------------------------------
    def send(self, status, body, content_type="application/json", extra=()):
        if self.closed:
            return
        self.respond(status, content_type, body, extra)
        self.server.stats[f"status_{status}"] += 1
        # Time from a complete request to its reply leaving: latency + server overhead.
        self.server.stats["served_ms_total"] += (time.monotonic() - self.received) * 1000.0
        self.done()

    def done(self):
        self.timer = None
        self.server.inflight -= 1
        self.finished()

    def error(self, status, message, code=None, extra=(), param=None):
        body = {"error": {"message": message, "type": ERROR_TYPES.get(status, "server_error"),
                          "param": param, "code": code}}
        self.send(status, json.dumps(body).encode(), extra=extra)

    # --- requests ------------------------------------------------------------------
    def handle(self, method, path, headers, body):
        srv = self.server
        if method == "GET" and path == "/stats":
            return self.send(200, srv.stats_json())
        if method == "GET" and path.endswith("/models"):
            return self.send(200, json.dumps({"object": "list", "data": [
                {"id": "fake-1", "object": "model", "owned_by": "teamsrl"}]}).encode())
        if method == "GET" and path == "/requests":
            return self.send(200, json.dumps(list(srv.requests)).encode())
        chat = path.endswith("/chat/completions")
        if method != "POST" or not (chat or path.endswith("/completions")):
            return self.error(404, f"Unknown request URL: {method} {path}", "unknown_url")
        srv.stats["requests"] += 1
        try:
            req = json.loads(body)
            # Chat: the messages; completions: the prompt, a string.
            messages = req["messages"] if chat else req["prompt"]
            if not chat and not isinstance(messages, str):
                raise TypeError("prompt")
            model = str(req.get("model", ""))
        except (ValueError, KeyError, TypeError):
            return self.error(400, "We could not parse the JSON body of your request.")
        srv.requests.append({"path": path, "body": req})
        fault = dict(srv.default_fault)
        if model.startswith("fault:"):
            fault.update(parse_fault(model[len("fault:"):]))
        fault.update(parse_fault(headers.get("x-fault", "")))
        if "first" in fault:
            digest = hashlib.sha256(body).hexdigest()
            srv.attempts_by_body[digest] += 1
            if srv.attempts_by_body[digest] > int(fault["first"]):
                fault = {k: v for k, v in fault.items() if k == "latency"}
        if "reasoning" in fault or srv.args.reasoning:
            refusal = reasoning_refusal(req)
            if refusal:
                return self.error(400, *refusal)
        wait = srv.rate_limited()
        if wait is not None:
            srv.stats["sent_429"] += 1
            srv.stats["rate_limited"] += 1
            secs = max(1, math.ceil(wait))
            return self.error(429, "Rate limit reached for requests per min (RPM): "
                              f"limit {srv.window_limit} per {srv.args.rpm_window_s:g} s.",
                              "rate_limit_exceeded",
                              extra=(f"Retry-After: {secs}",
                                     f"retry-after-ms: {int(wait * 1000) + 1}"))
        latency = float(fault.get("latency", srv.args.latency_ms)) / 1000.0
        due = time.monotonic() + latency
        reply = lambda: self.reply(req, messages, model, fault, headers, due)  # noqa: E731
        if latency > 0:
            self.timer = asyncio.get_running_loop().call_later(latency, reply)
        else:
            reply()

    def reply(self, req, messages, model, fault, headers, due):
        srv = self.server
        self.timer = None
        # How late the event loop fired the latency timer: > 0 means the server (or the
        # machine) is the bottleneck, not the client.
        srv.stats["late_ms_total"] += max(0.0, time.monotonic() - due) * 1000.0
        if self.closed:
            return
        if "drop" in fault:
            srv.stats["dropped"] += 1
            self.abort()
            return
        if "hang" in fault:
            srv.stats["hung"] += 1
            return
        status = int(fault.get("status", 200))
        if status != 200:
            extra = []
            if "retry_after" in fault:
                extra.append(f"Retry-After: {fault['retry_after']}")
            if "retry_after_date" in fault:
                when = time.time() + float(fault["retry_after_date"])
                extra.append("Retry-After: " + email.utils.formatdate(when, usegmt=True))
            if "retry_after_ms" in fault:
                extra.append(f"retry-after-ms: {fault['retry_after_ms']}")
            if status == 429:
                srv.stats["sent_429"] += 1
            if "nonjson" in fault:
                html = f"<html><body><h1>{status} {REASONS.get(status, '')}</h1></body></html>"
                return self.send(status, html.encode(), "text/html", extra)
            if status == 401:
                token = headers.get("authorization", "").removeprefix("Bearer ").strip()
                shown = token if "echo_key" in fault else mask_key(token)
                if "echo_key_split" in fault:
                    shown = token[:len(token) // 2] + "\n" + token[len(token) // 2:]
                filler = "x" * int(fault.get("echo_key_at", 0))
                if "echo_key_at" in fault:
                    shown = token
                return self.error(401, f"{filler}Incorrect API key provided: {shown}. You can "
                                  "find your API key at https://platform.openai.com/account/"
                                  "api-keys.", "invalid_api_key", extra)
            return self.error(status, f"fake server: injected HTTP {status}", None, extra)
        srv.stats["completions"] += 1
        chat = not isinstance(messages, str)
        text = json.dumps(messages, sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        if chat:
            last = str(messages[-1].get("content", "")) if messages else ""
        else:
            last = messages[-120:]  # a prompt ends with the request's own text
        content = "" if "empty" in fault else f"reply {digest}: {last[:120]}"
        if "echo_headers" in fault:
            content += "\n" + "\n".join(f"{k}: {v}" for k, v in headers.items())
        if "nul" in fault:
            content = "before\0after " + content
        if "huge" in fault or "endless" in fault:
            return self.stream_reply(model, fault, chat)
        finish = "stop"
        if "length" in fault:
            finish = "length"
            content = content[:max(1, int(req.get("max_tokens", 16) or 16)) * 4]
        if chat:
            choice = {"index": 0, "message": {"role": "assistant", "content": content},
                      "logprobs": None, "finish_reason": finish}
        else:
            choice = {"index": 0, "text": content, "logprobs": None, "finish_reason": finish}
        doc = {"id": ("chatcmpl-" if chat else "cmpl-") + digest,
               "object": "chat.completion" if chat else "text_completion",
               "created": int(time.time()), "model": model,
               "choices": [] if "nochoices" in fault else [choice]}
        if "nousage" not in fault:
            if chat:
                prompt = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1
            else:
                prompt = len(messages) // 4 + 1
            completion = len(content) // 4
            if "usage" in fault:
                prompt, completion = (int(v) for v in fault["usage"].split(":"))
            doc["usage"] = {"prompt_tokens": prompt, "completion_tokens": completion,
                            "total_tokens": prompt + completion}
        body = json.dumps(doc).encode()
        if "truncate" in fault:
            srv.stats["truncated"] += 1
            body = body[:len(body) // 2]
        self.send(200, body)


    def stream_reply(self, model, fault, chat):
        """A 200 whose content is `huge` MiB of "a" (with Content-Length) or never ends
        (chunked), written as fast as the client reads it."""
        choice = ({"index": 0, "message": {"role": "assistant", "content": "@"}} if chat
                  else {"index": 0, "text": "@"})
        head = json.dumps({"id": "chatcmpl-big", "object": "chat.completion", "model": model,
                           "choices": [choice]})
        prefix, suffix = (part.encode() for part in head.split("@"))
        block = b"a" * (1 << 20)
        if "endless" in fault:
            pieces = itertools.chain([prefix], itertools.repeat(block))
            length = None
        else:
            n = int(fault["huge"])
            pieces = itertools.chain([prefix], itertools.repeat(block, n), [suffix])
            length = len(prefix) + n * len(block) + len(suffix)
        self.server.stats["streamed"] += 1
        self.stream(200, "application/json", length, pieces)


class Conn(Exchange, asyncio.Protocol):
    """HTTP/1.1: one exchange at a time per connection, the connection is the exchange."""

    def __init__(self, server):
        self.server = server
        self.buf = bytearray()
        self.busy = False
        self.closed = False
        self.timer = None
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.lost()

    def data_received(self, data):
        self.buf += data
        self.next_request()

    def next_request(self):
        if self.busy or self.closed:
            return
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buf[:end].decode("latin-1").split("\r\n")
        try:
            method, target, _ = head[0].split(" ", 2)
        except ValueError:
            self.transport.close()
            return
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        if len(self.buf) < end + 4 + length:
            return
        body = bytes(self.buf[end + 4:end + 4 + length])
        del self.buf[:end + 4 + length]
        self.keep_alive = headers.get("connection", "").lower() != "close"
        self.start(method, target, headers, body)

    def respond(self, status, content_type, body, extra):
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
                 f"Content-Type: {content_type}", f"Content-Length: {len(body)}",
                 "Connection: " + ("keep-alive" if self.keep_alive else "close")]
        lines.extend(extra)
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def stream(self, status, content_type, length, pieces):
        """Writes `pieces` while the socket's write buffer drains; chunked without a
        `length`. Stops when the client goes away."""
        framing = (f"Content-Length: {length}" if length is not None
                   else "Transfer-Encoding: chunked")
        self.transport.write((f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\n"
                              f"Content-Type: {content_type}\r\n{framing}\r\n\r\n").encode())

        def pump():
            # A few pieces per turn of the loop, so a closed connection is noticed.
            for _ in range(8):
                if self.closed or self.transport.is_closing():
                    return
                if self.transport.get_write_buffer_size() >= (4 << 20):
                    break
                piece = next(pieces, None)
                if piece is None:
                    if length is None:
                        self.transport.write(b"0\r\n\r\n")
                    self.server.stats[f"status_{status}"] += 1
                    return self.done()
                if length is None:
                    piece = b"%x\r\n" % len(piece) + piece + b"\r\n"
                self.transport.write(piece)
            self.timer = asyncio.get_running_loop().call_later(0.001, pump)
        pump()

    def finished(self):
        self.busy = False
        if not self.keep_alive:
            self.transport.close()
        else:
            asyncio.get_running_loop().call_soon(self.next_request)

    def abort(self):
        self.transport.abort()


class H2Conn(asyncio.Protocol):
    """HTTP/2 over TLS: each stream is an exchange; any number in flight at once."""

    def __init__(self, server):
        self.server = server
        self.closed = False
        self.streams = {}  # stream id -> (headers, body) until the request is complete
        self.exchanges = {}  # stream id -> H2Stream answering it
        self.conn = h2.connection.H2Connection(config=h2.config.H2Configuration(
            client_side=False, header_encoding="utf-8"))
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        self.conn.initiate_connection()
        self.flush()

    def flush(self):
        if not self.closed:
            self.transport.write(self.conn.data_to_send())

    def connection_lost(self, exc):
        self.closed = True
        for ex in list(self.exchanges.values()):
            ex.lost()
        self.exchanges.clear()

    def data_received(self, data):
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.flush()
            self.transport.close()
            return
        for ev in events:
            if isinstance(ev, h2.events.RequestReceived):
                self.streams[ev.stream_id] = (dict(ev.headers), bytearray())
            elif isinstance(ev, h2.events.DataReceived):
                self.streams[ev.stream_id][1].extend(ev.data)
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                headers, body = self.streams.pop(ev.stream_id)
                ex = H2Stream(self, ev.stream_id)
                self.exchanges[ev.stream_id] = ex
                self.server.stats["h2_streams"] += 1
                ex.start(headers.get(":method", ""), headers.get(":path", "/"), headers,
                         bytes(body))
            elif isinstance(ev, h2.events.StreamReset):
                self.streams.pop(ev.stream_id, None)
                ex = self.exchanges.pop(ev.stream_id, None)
                if ex is not None:
                    ex.lost()
            elif isinstance(ev, h2.events.ConnectionTerminated):
                self.transport.close()
        self.flush()


class H2Stream(Exchange):
    """One HTTP/2 exchange; same surface as Conn for Exchange."""

    def __init__(self, h2conn, stream_id):
        self.h2conn = h2conn
        self.server = h2conn.server
        self.stream_id = stream_id
        self.closed = False
        self.busy = False
        self.timer = None

    def respond(self, status, content_type, body, extra):
        headers = [(":status", str(status)), ("content-type", content_type),
                   ("content-length", str(len(body)))]
        for line in extra:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        self.h2conn.conn.send_headers(self.stream_id, headers)
        self.h2conn.conn.send_data(self.stream_id, body, end_stream=True)  # fits the window
        self.h2conn.flush()

    def finished(self):
        self.busy = False
        self.h2conn.exchanges.pop(self.stream_id, None)

    def abort(self):
        self.h2conn.transport.abort()


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--fault", default="", help="fault SPEC applied to every request")
    ap.add_argument("--rpm", type=float, default=0.0, help="server-side requests/minute")
    ap.add_argument("--rpm-window-s", type=float, default=60.0)
    ap.add_argument("--tls-dir", default="", help="serve HTTPS, certificate in this dir")
    ap.add_argument("--no-h2", action="store_true", help="with --tls-dir: offer http/1.1 only")
    ap.add_argument("--reasoning", action="store_true",
                    help="refuse max_tokens and non-default sampling, as OpenAI's o-series")
    args = ap.parse_args()
    loop = asyncio.get_running_loop()
    server = Server(args)
    ctx = tls_context(args.tls_dir, not args.no_h2) if args.tls_dir else None
    srv = await loop.create_server(lambda: Accept(server), "127.0.0.1", args.port,
                                   backlog=1024, reuse_address=True, ssl=ctx)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    if stat.S_ISFIFO(os.fstat(0).st_mode):  # the parent holds the other end
        def on_stdin():
            if not os.read(0, 4096):
                loop.remove_reader(0)
                stop.done() or stop.set_result(None)
        loop.add_reader(0, on_stdin)
    print(f"PORT {srv.sockets[0].getsockname()[1]}", flush=True)
    await stop
    srv.close()


if __name__ == "__main__":
    asyncio.run(main())
