"""``pvt upload --url U -u USER -p PASS [-d FEED] FILE...``: the client's side of push intake.
Exit status: 0 every file uploaded; 1 the login or a file was refused (the server's reason is
printed); 2 usage; 3 the server cannot be reached or its certificate does not verify."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.errors import UploadError, UsageError

PASSWORD_ENV = "PVT_UPLOAD_PASSWORD"
TOKEN_ENV = "PVT_UPLOAD_TOKEN"


def cmd_upload(args: argparse.Namespace) -> int:
    """Upload files to the client's base URL; print one line per file."""
    from pvt_dagster.push import Login, Uploader, password_from_env  # push: only here

    token = password_from_env(args.token, TOKEN_ENV) if args.user is None else None
    password = password_from_env(args.password, PASSWORD_ENV)
    if token is None and (args.user is None or password is None):
        print(f"pvt upload: give -u USER with -p PASSWORD (or ${PASSWORD_ENV}), or --token "
              f"(or ${TOKEN_ENV})", file=sys.stderr)
        return 2
    login = Login(user=args.user, password=password) if token is None else Login(token=token)
    try:
        uploader = Uploader(args.url, login, cacert=Path(args.cacert) if args.cacert else None)
        outcomes = uploader.run([Path(p) for p in args.files], feed=args.feed)
    except UsageError as exc:
        print(f"pvt upload: {exc}", file=sys.stderr)
        return 2
    except UploadError as exc:
        print(f"pvt upload: {exc}", file=sys.stderr)
        return 1 if exc.refused else 3
    for outcome in outcomes:
        where = f" -> {outcome.feed}" if outcome.feed else ""
        if outcome.ok:
            print(f"uploaded {outcome.path}{where}: {outcome.detail}")
        else:
            print(f"pvt upload: {outcome.path}{where}: {outcome.detail}", file=sys.stderr)
    if not outcomes:
        print("pvt upload: no files to send", file=sys.stderr)
        return 2
    refused = sum(not o.ok for o in outcomes)
    print(f"{len(outcomes) - refused} uploaded, {refused} refused", file=sys.stderr)
    return 1 if refused else 0


def register(sub: Subparsers) -> None:
    """Add ``pvt upload``."""
    upload = sub.add_parser("upload", help="send files to a PVT upload API (push intake)")
    upload.add_argument("--url", required=True,
                        help="the client's base URL: https://HOST:PORT/v1/<client>")
    upload.add_argument("-u", "--user", help="user name (with -p)")
    upload.add_argument("-p", "--password", help=f"password (or ${PASSWORD_ENV}; a command "
                                                  "line shows in the process list)")
    upload.add_argument("--token", help=f"a bearer token instead of a user (or ${TOKEN_ENV})")
    upload.add_argument("-d", "--feed", help="the feed to send to (default: the first feed "
                                             "whose pattern matches each file's name)")
    upload.add_argument("--cacert", metavar="PEM",
                        help="CA bundle to verify the server with (a self-signed certificate)")
    upload.add_argument("files", nargs="+", metavar="FILE",
                        help="files, or folders whose plain files are all sent")
    upload.set_defaults(run=cmd_upload, needs_intake=False)
