"""An SMTP server on 127.0.0.1 for the notify tests (tests/e2e/notify.rs):
aiosmtpd keeping every message in a maildir, in one of three modes:

  plain     no TLS at all;
  starttls  STARTTLS offered and required before MAIL (require_starttls);
  tls       TLS from the first byte (implicit TLS, as on port 465).

With --user and --password, AUTH is required (after TLS) and only that
pair is accepted. Runs until killed.

    python3 smtp_sink.py PORT MAILDIR MODE [--cert PEM --key PEM]
                         [--user U --password P]
"""

import argparse
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("maildir")
    p.add_argument("mode", choices=["plain", "starttls", "tls"])
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    a = p.parse_args()

    params = {}
    if a.mode != "plain":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        if a.mode == "starttls":
            params["tls_context"] = ctx
            params["require_starttls"] = True
        else:
            params["ssl_context"] = ctx
    if a.user is not None:

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                auth_data.login.decode() == a.user
                and auth_data.password.decode() == a.password
            )
            return AuthResult(success=ok)

        params["authenticator"] = authenticator
        params["auth_required"] = True

    controller = Controller(
        Mailbox(a.maildir), hostname="127.0.0.1", port=a.port, **params
    )
    controller.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
