"""A real SMTP server for the mail integration test: aiosmtpd on
127.0.0.1:<port>, each message written to <dir>/<n>.eml with its envelope
recipients first as X-Envelope-To headers."""
import os
import sys
import time

from aiosmtpd.controller import Controller

out, port = sys.argv[1], int(sys.argv[2])


class Sink:
    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(out, "%d.eml" % time.time_ns())
        head = "".join("X-Envelope-To: %s\r\n" % r for r in envelope.rcpt_tos)
        with open(name + ".tmp", "wb") as f:
            f.write(head.encode("ascii"))
            f.write(envelope.original_content or envelope.content)
        os.rename(name + ".tmp", name)
        return "250 OK"


controller = Controller(Sink(), hostname="127.0.0.1", port=port)
controller.start()
print("READY", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
