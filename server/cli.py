"""`frontdesk-server`: serve the API, and the admin commands that set up accounts.

Exit codes: 0 done; 1 the command was refused or failed (a server.errors DomainError, its words on
stderr); 2 `serve` refused a database a newer server has upgraded (SchemaTooNew); 3 `verify-audit`
found the audit chain broken. `main` is the one place a domain error becomes an exit code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import logging
import os
import sys
from pathlib import Path

from server.errors import DomainError
from server.settings import default_data_dir

PASSWORD_ENV = "FRONTDESK_PASSWORD"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk-server", description="Frontdesk server and admin commands.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the registry, account databases and signing key live (default: $FRONTDESK_DATA_DIR or the user data dir)",
    )
    common.add_argument(
        "--registry-url",
        default=None,
        help="the registry's database, e.g. postgresql://frontdesk@db0/frontdesk (default: $FRONTDESK_REGISTRY_URL, "
        "else registry.sqlite in the data dir)",
    )
    placing = argparse.ArgumentParser(add_help=False)
    placing.add_argument(
        "--placement", choices=["sqlite", "postgresql"], default=None,
        help="where new account databases go (default: $FRONTDESK_PLACEMENT, else sqlite)",
    )  # fmt: skip
    placing.add_argument(
        "--pg-server", action="append", default=None, metavar="DSN",
        help="a PostgreSQL server of the shard map (repeat; default: $FRONTDESK_PG_SERVERS), e.g. "
        "postgresql://postgres@db1:5432/postgres?pgbouncer=db1:6432",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the HTTP API")
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port to listen on (default 8800)")
    serve.add_argument("--log-level", default=None, choices=["critical", "error", "warning", "info", "debug"])

    create = sub.add_parser("create-account", parents=[common, placing], help="register a new account with its own database")
    create.add_argument("slug", help="short name staff type at sign-in, e.g. acme-gym")
    create.add_argument("--name", required=True, help="the business's name as shown to staff")

    staff = sub.add_parser("add-staff", parents=[common], help=f"add a staff member (password from a prompt or ${PASSWORD_ENV})")
    staff.add_argument("slug")
    staff.add_argument("username")
    staff.add_argument("--group", required=True, help="owner, manager, front-desk, coach, kiosk or a custom group")
    staff.add_argument("--display-name", default=None)

    edit = sub.add_parser("edit-staff", parents=[common], help="change a staff member's group, name, grants; disable or enable")
    edit.add_argument("slug")
    edit.add_argument("username")
    edit.add_argument("--group", default=None)
    edit.add_argument("--display-name", default=None)
    edit.add_argument("--grant", action="append", default=None, help="an advanced permission (repeat); replaces the grants")
    state = edit.add_mutually_exclusive_group()
    state.add_argument("--disable", action="store_true", help="sign them out of every desk and refuse their sign-ins")
    state.add_argument("--enable", action="store_true")

    reset = sub.add_parser("reset-password", parents=[common], help=f"set a new password (prompt or ${PASSWORD_ENV}); signs them out")
    reset.add_argument("slug")
    reset.add_argument("username")

    pin = sub.add_parser("set-pin", parents=[common], help="set a staff member's quick-unlock PIN (prompt or $FRONTDESK_PIN)")
    pin.add_argument("slug")
    pin.add_argument("username")

    gw = sub.add_parser("set-gateway", parents=[common],
                        help="choose an account's card gateway: authorize_net (login id, transaction key from "
                             "$FRONTDESK_GATEWAY_KEY or a prompt; kept encrypted) or default")  # fmt: skip
    gw.add_argument("slug")
    gw.add_argument("gateway", choices=["default", "authorize_net"])
    gw.add_argument("--login-id", default="")
    gw.add_argument("--url", default="", help="the API's address (default: Authorize.Net's sandbox)")

    ls = sub.add_parser("list-staff", parents=[common], help="staff members with their group and permissions")
    ls.add_argument("slug")

    code = sub.add_parser("enrollment-code", parents=[common], help="print a code that sets new computers up as desks of an account")
    code.add_argument("slug")
    code.add_argument("--uses", type=int, default=1, help="how many computers it may set up (default 1)")
    code.add_argument("--hours", type=float, default=24.0, help="how long it is good for (default 24)")
    rot = sub.add_parser("rotate-card-key", parents=[common], help="a new member-card key (cards move to it as they are swiped)")
    rot.add_argument("slug")
    seed = sub.add_parser("seed-demo", parents=[common], help="fill an empty account with realistic demo data")
    seed.add_argument("slug")
    seed.add_argument("--families", type=int, default=300)
    seed.add_argument("--seed", type=int, default=1, help="same seed, same names and schedule")
    seed.add_argument("--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today in Chicago)")

    from server import setup_cli

    setup_cli.add_parsers(sub, common)  # add-location, add-class, add-closure, … (server.setup)

    sub.add_parser("migrate", parents=[common], help="bring the registry and every account database to this version's schema")

    bk = sub.add_parser("backup", parents=[common], help="copy the registry and every account database, while the server runs")
    bk.add_argument("--out", type=Path, default=None, help="where the backups go (default: DATA_DIR/backups)")
    bk.add_argument("--keep", type=int, default=7, help="how many backups to keep, newest first (default 7)")

    va = sub.add_parser("verify-audit", parents=[common], help="check an account's audit log: name the first entry changed, removed or added behind the server")
    va.add_argument("slug", help="the account")
    va.add_argument("--backup", type=Path, default=None, metavar="BACKUP_DIR",
                    help="also check that the log still holds the entries this backup's manifest recorded (not rewritten whole since)")

    rs = sub.add_parser("restore", parents=[common], help="put one account's database back from a backup (stop the server first)")
    rs.add_argument("slug", help="the account")
    rs.add_argument("backup_dir", type=Path, help="one backup, e.g. DATA_DIR/backups/20261125T153000Z")

    ex = sub.add_parser("export", parents=[common], help="write every record of an account as CSV files or an XLSX workbook")
    ex.add_argument("slug", help="the account")
    ex.add_argument("--out", type=Path, required=True, help="the folder the files go into (made if missing)")
    ex.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="csv: a file per table; xlsx: one workbook")

    mv = sub.add_parser(
        "move-account", parents=[common, placing],
        help="move an account's database to another PostgreSQL server while the server runs (its desks wait a moment)",
    )  # fmt: skip
    mv.add_argument("slug")
    mv.add_argument("--to", required=True, metavar="SERVER", help="a server's name in the shard map (see `shards`)")
    mv.add_argument("--pause", type=float, default=1.0, help="seconds the servers get to stop using the account first")

    sub.add_parser("shards", parents=[common, placing], help="the PostgreSQL servers of the shard map and their accounts")
    sub.add_parser("new-secret-key", help="print a new key for $FRONTDESK_SECRET_KEY (account database passwords)")

    demo = sub.add_parser("demo", parents=[common], help="seed a demo account, serve it and open a desk signed in")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8800)
    return parser


def _password() -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    if not sys.stdin.isatty():
        raise SystemExit(f"No password: set {PASSWORD_ENV} or run in a terminal to be asked.")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("The passwords differ; nothing was changed.")
    return first


KEEP_ALIVE = 75  # seconds


def _serve(args: argparse.Namespace, data_dir: Path) -> int:
    import uvicorn

    from server.gc_tuning import tune
    from server.live import release_waits_on_exit
    from server.main import create_app
    from server.settings import Settings

    overrides = {k: v for k, v in {"host": args.host, "port": args.port, "log_level": args.log_level}.items() if v is not None}
    settings = Settings(data_dir=data_dir, **overrides)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    tune()  # short garbage-collection pauses: see server/gc_tuning.py
    # Idle keep-alive connections are held longer than a desk (httpx: 5 s) or a proxy in front
    # (nginx's upstream keepalive_timeout: 60 s) holds them, so the client side always closes
    # first: a server closing a connection while a request is on its way fails that request
    # (bench/load saw it as a read error on a pull).
    # proxy_headers off: uvicorn would believe X-Forwarded-For from 127.0.0.1; server.addresses
    # believes it only from FRONTDESK_TRUSTED_PROXIES.
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=settings.log_level,
                            timeout_keep_alive=KEEP_ALIVE, proxy_headers=False)  # fmt: skip
    server = uvicorn.Server(config)
    release_waits_on_exit(server, app)  # desks' long-polls must not hold a restart up
    server.run()
    return 0


def _migrate(data_dir: Path) -> int:
    from server.upgrades import migrate_all

    failed = 0
    for outcome in migrate_all(data_dir):
        if outcome.error is not None:
            failed += 1
            print(f"{outcome.label}: NOT migrated: {outcome.error}", file=sys.stderr)
        else:
            print(f"{outcome.label}: {outcome.upgrade.describe()}")
    return 1 if failed else 0


def _backup(args: argparse.Namespace, data_dir: Path) -> int:
    from server.backup import backup

    result = backup(data_dir, args.out, keep=args.keep)
    for entry in [result.manifest["registry"], *result.manifest["accounts"]]:
        label = entry.get("slug", "registry")
        print(f"{label}: {entry['file']}, {entry['size']} bytes, revision {entry['revision']}")
    for path in result.pruned:
        print(f"removed the older backup {path.name}")
    for problem in result.problems:
        print(f"NOT backed up: {problem}", file=sys.stderr)
    print(f"Backup written to {result.path}")
    return 1 if result.problems else 0


def _verify_audit(args: argparse.Namespace, data_dir: Path) -> int:
    """Exit 0: the chain is whole; 3: it was tampered with (or its guards are gone); 1: it could not be read."""
    from server.accounts import open_account
    from server.audit_verify import report, verify_chain
    from server.backup import recorded_audit_head

    recorded = recorded_audit_head(args.backup, args.slug) if args.backup is not None else None
    with open_account(data_dir, args.slug) as (_account, adb):
        verification = verify_chain(adb.engine, recorded)
    for line in report(args.slug, verification):
        print(line, file=sys.stdout if verification.ok else sys.stderr)
    return 0 if verification.ok else 3


def _restore(args: argparse.Namespace, data_dir: Path) -> int:
    from server.backup import restore

    result = restore(data_dir, args.slug, args.backup_dir)
    print(f"Restored {result.slug!r} from {args.backup_dir} (revision {result.revision}).")
    if result.set_aside is not None:
        print(f"The database it replaced is kept as {result.set_aside}.")
    return 0


def _export(args: argparse.Namespace, data_dir: Path) -> int:
    from server.export_files import export_account

    paths = export_account(data_dir, args.slug, args.out, args.format)
    for path in paths:
        print(f"wrote {path}")
    return 0


def _placement(args: argparse.Namespace):
    from server.placement import Placement

    return Placement.of(args.placement, args.pg_server)


def _shards(args: argparse.Namespace, data_dir: Path) -> int:
    from server.mover import move_account, shard_map

    placement = _placement(args)
    if args.command == "shards":
        for line in shard_map(data_dir, placement):
            print(line)
        return 0
    result = move_account(data_dir, args.slug, args.to, placement, pause=args.pause, say=print)
    print(f"Moved {result.slug!r} to {result.to}: {result.rows} rows, change number {result.usn}, {result.seconds:.1f} s of pause.")
    return 0


def exit_code(exc: DomainError) -> int:
    from server.migrate import SchemaTooNew

    return 2 if isinstance(exc, SchemaTooNew) else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _command(args)
    except DomainError as exc:
        print(f"frontdesk-server: {exc.message}", file=sys.stderr)
        return exit_code(exc)


def _command(args: argparse.Namespace) -> int:
    if args.command == "new-secret-key":
        from server.secrets_box import new_key

        print(new_key())
        return 0
    data_dir: Path = args.data_dir or default_data_dir()
    if args.registry_url:
        from server.registry import REGISTRY_URL_ENV

        os.environ[REGISTRY_URL_ENV] = args.registry_url  # every command below opens the registry from it
    if args.command in ("move-account", "shards"):
        return _shards(args, data_dir)
    if args.command == "serve":
        from server.upgrades import refuse_newer

        refuse_newer(data_dir)  # never serve, nor touch, a database a newer server has upgraded
        return _serve(args, data_dir)
    if args.command == "migrate":
        return _migrate(data_dir)
    if args.command == "backup":
        return _backup(args, data_dir)
    if args.command == "verify-audit":
        return _verify_audit(args, data_dir)
    if args.command == "restore":
        return _restore(args, data_dir)
    if args.command == "export":
        return _export(args, data_dir)
    if args.command == "demo":
        from server import demo

        return demo.run(args.data_dir or Path(".demo"), host=args.host, port=args.port)

    from server import admin, setup_cli

    if args.command in setup_cli.COMMANDS:
        setup_cli.run(args, data_dir)
    elif args.command == "create-account":
        account = admin.create_account(data_dir, args.slug, name=args.name, placement=_placement(args))
        where = account.db_location if "://" in account.db_location else data_dir
        print(f"Created account {account.slug!r} ({account.name}) in {where}")
    elif args.command == "add-staff":
        staff_id = admin.add_staff(
            data_dir, args.slug, args.username, _password(), group=args.group, display_name=args.display_name
        )
        print(f"Added {args.username!r} ({args.group}) to {args.slug!r}: staff id {staff_id}")
    elif args.command == "edit-staff":
        active = False if args.disable else True if args.enable else None
        change = admin.edit_staff(
            data_dir, args.slug, args.username, group=args.group, display_name=args.display_name, grants=args.grant, active=active
        )
        s = change.staff
        print(f"{s.username!r}: {s.group}, {'active' if s.active else 'disabled'}, permissions {', '.join(s.permissions) or 'none'}")
    elif args.command == "reset-password":
        admin.reset_password(data_dir, args.slug, args.username, _password())
        print(f"New password set for {args.username!r}; their desks are signed out.")
    elif args.command == "set-pin":
        admin.set_pin(data_dir, args.slug, args.username, os.environ.get("FRONTDESK_PIN") or getpass.getpass("PIN: "))
        print(f"PIN set for {args.username!r}.")
    elif args.command == "set-gateway":
        creds = {}
        if args.gateway != "default":  # the key never on the command line (shell history, ps)
            key = os.environ.get("FRONTDESK_GATEWAY_KEY") or getpass.getpass("Transaction key: ")
            creds = {"login_id": args.login_id, "transaction_key": key, **({"url": args.url} if args.url else {})}
        admin.set_gateway(data_dir, args.slug, args.gateway, **creds)
        print(f"{args.slug}: card gateway {args.gateway}.")
    elif args.command == "list-staff":
        for s in admin.list_staff(data_dir, args.slug):
            flag = "" if s.active else " (disabled)"
            print(f"{s.username}\t{s.group}{flag}\t{s.display_name}\t{', '.join(s.permissions)}")
    elif args.command == "enrollment-code":
        code = admin.enrollment_code(data_dir, args.slug, uses=args.uses, hours=args.hours)
        print(f"{code}  (sets up {args.uses} desk(s) of {args.slug!r} within {args.hours:g} hours)")
    elif args.command == "rotate-card-key":
        print(f"Member-card key of {args.slug!r} is now version {admin.rotate_card_key(data_dir, args.slug)}.")
    elif args.command == "seed-demo":
        s = admin.seed_demo(data_dir, args.slug, families=args.families, seed=args.seed, today=args.today)
        print(
            f"Seeded {args.slug!r}: {s.locations} locations, {s.families} families, {s.students} students, "
            f"{s.contacts} contacts, {s.classes} classes, {s.sessions} sessions, {s.enrollments} enrollments, "
            f"{s.alerts} alerts"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
