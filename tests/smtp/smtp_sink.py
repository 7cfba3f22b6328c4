"""A real SMTP server for the mail integration tests: aiosmtpd on
127.0.0.1:<port>, each message written to <dir>/<n>.eml with its envelope
recipients first as X-Envelope-To headers, then X-Sink-TLS (yes/no) and
X-Sink-Auth (the user that authenticated, or -).

  smtp_sink.py DIR PORT [--starttls CERT KEY] [--smtps CERT KEY]
                        [--auth USER:PASSWORD]

--starttls requires STARTTLS before MAIL; --smtps is TLS from the first byte;
--auth requires AUTH (PLAIN or LOGIN, only over TLS when TLS is on) and
refuses other credentials with 535. Failed logins are appended to
DIR/auth-failures.log (the user name only)."""
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

out, port = sys.argv[1], int(sys.argv[2])
opts = sys.argv[3:]
starttls = smtps = auth = None
i = 0
while i < len(opts):
    if opts[i] == "--starttls":
        starttls = (opts[i + 1], opts[i + 2])
        i += 3
    elif opts[i] == "--smtps":
        smtps = (opts[i + 1], opts[i + 2])
        i += 3
    elif opts[i] == "--auth":
        auth = opts[i + 1].split(":", 1)
        i += 2
    else:
        sys.exit("unknown option %s" % opts[i])


def context(pair):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pair[0], pair[1])
    return ctx


class Sink:
    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(out, "%d.eml" % time.time_ns())
        head = "".join("X-Envelope-To: %s\r\n" % r for r in envelope.rcpt_tos)
        # aiosmtpd sets session.ssl for STARTTLS only; --smtps is TLS throughout.
        head += "X-Sink-TLS: %s\r\n" % ("yes" if session.ssl or smtps else "no")
        user = session.auth_data.login.decode() if session.authenticated else "-"
        head += "X-Sink-Auth: %s\r\n" % user
        with open(name + ".tmp", "wb") as f:
            f.write(head.encode("ascii"))
            f.write(envelope.original_content or envelope.content)
        os.rename(name + ".tmp", name)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, data):
    ok = (
        isinstance(data, LoginPassword)
        and data.login.decode() == auth[0]
        and data.password.decode() == auth[1]
    )
    if not ok:
        login = data.login.decode() if isinstance(data, LoginPassword) else "?"
        with open(os.path.join(out, "auth-failures.log"), "a") as f:
            f.write(login + "\n")
    return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


kwargs = {}
if starttls:
    kwargs.update(tls_context=context(starttls), require_starttls=True)
if smtps:
    kwargs.update(ssl_context=context(smtps))
if auth:
    kwargs.update(
        authenticator=authenticator,
        auth_required=True,
        # aiosmtpd only knows of STARTTLS here: with --smtps the whole
        # connection is TLS already, and requiring it would hide AUTH.
        auth_require_tls=bool(starttls),
    )
controller = Controller(Sink(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
print("READY", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
