"""Command line: `python -m qbo_emulator [serve] ...` and `python -m qbo_emulator mint ...`."""

import argparse
import json
import sys

import requests

from .config import EmulatorConfig
from .emulator import Emulator, is_loopback_host
from .store import StoreVersionError
from .webhooks import is_loopback_url

EPILOG = """commands:
  serve   (default) run the emulator until interrupted:
            python -m qbo_emulator --port 8099 --db /tmp/qbo.sqlite
  mint    connect an app to a company without the browser dance; prints the token JSON:
            python -m qbo_emulator mint --url http://127.0.0.1:8099 --realm 9130357766900001

Point python-quickbooks at it with qb.api_url_v3 = qb.sandbox_api_url_v3 = URL + "/v3" and
intuitlib with AuthClient(..., environment=URL + "/.well-known/openid_configuration");
set OAUTHLIB_INSECURE_TRANSPORT=1 (the emulator speaks plain http on loopback).
"""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m qbo_emulator",
        description="QuickBooks Online emulator on loopback.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="run the emulator (default command)")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8099, help="port (default 8099; 0 picks a free one)")
    serve.add_argument("--db", default=None, help="SQLite file, or :memory: (default; data dies with the process)")
    serve.add_argument("--config", default=None, help="JSON file with EmulatorConfig fields (see README)")
    mint = commands.add_parser("mint", help="mint tokens for an app and a company; prints JSON")
    mint.add_argument("--url", default="http://127.0.0.1:8099", help="base URL of a running emulator")
    mint.add_argument("--client-id", default="emulator-client-id", help="app client id")
    mint.add_argument("--realm", default="9130357766900001", help="company realm id")
    return parser


def serve(args):
    if not is_loopback_host(args.host):
        raise SystemExit("refusing to listen on %r: the emulator binds loopback addresses only" % args.host)
    overrides = {"db_path": args.db} if args.db else {}
    config = EmulatorConfig.from_file(args.config, **overrides) if args.config else EmulatorConfig(**overrides)
    try:
        emulator = Emulator(config)
    except StoreVersionError as error:
        raise SystemExit("qbo_emulator: %s" % error) from None
    base_url = emulator.start(args.host, args.port)
    print(
        "QBO emulator listening on %s (discovery: %s/.well-known/openid_configuration)" % (base_url, base_url),
        flush=True,
    )
    try:
        emulator.serve_forever(args.host, args.port)
    except KeyboardInterrupt:
        pass
    return 0


def mint(args):
    if not is_loopback_url(args.url):
        raise SystemExit("refusing %r: the emulator is only reached on loopback" % args.url)
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: loopback stays loopback
    answer = session.post(
        args.url.rstrip("/") + "/_emulator/mint", json={"client_id": args.client_id, "realm_id": args.realm}, timeout=30
    )
    print(json.dumps(answer.json(), indent=2))
    return 0 if answer.ok else 1


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, "serve")
    args = build_parser().parse_args(argv)
    return serve(args) if args.command == "serve" else mint(args)
