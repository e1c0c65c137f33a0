"""`frontdesk-server`: serve the API, and the admin commands that set up accounts."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import logging
import os
import sys
from pathlib import Path

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
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the HTTP API")
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port to listen on (default 8800)")
    serve.add_argument("--log-level", default=None, choices=["critical", "error", "warning", "info", "debug"])

    create = sub.add_parser("create-account", parents=[common], help="register a new account with its own database")
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

    ls = sub.add_parser("list-staff", parents=[common], help="staff members with their group and permissions")
    ls.add_argument("slug")

    seed = sub.add_parser("seed-demo", parents=[common], help="fill an empty account with realistic demo data")
    seed.add_argument("slug")
    seed.add_argument("--families", type=int, default=300)
    seed.add_argument("--seed", type=int, default=1, help="same seed, same names and schedule")
    seed.add_argument("--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today in Chicago)")

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


def _serve(args: argparse.Namespace, data_dir: Path) -> int:
    import uvicorn

    from server.live import release_waits_on_exit
    from server.main import create_app
    from server.settings import Settings

    overrides = {k: v for k, v in {"host": args.host, "port": args.port, "log_level": args.log_level}.items() if v is not None}
    settings = Settings(data_dir=data_dir, **overrides)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level=settings.log_level))
    release_waits_on_exit(server, app)  # desks' long-polls must not hold a restart up
    server.run()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    data_dir: Path = args.data_dir or default_data_dir()
    if args.command == "serve":
        return _serve(args, data_dir)
    if args.command == "demo":
        from server import demo

        return demo.run(args.data_dir or Path(".demo"), host=args.host, port=args.port)

    from server import admin

    try:
        if args.command == "create-account":
            account = admin.create_account(data_dir, args.slug, name=args.name)
            print(f"Created account {account.slug!r} ({account.name}) in {data_dir}")
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
        elif args.command == "list-staff":
            for s in admin.list_staff(data_dir, args.slug):
                flag = "" if s.active else " (disabled)"
                print(f"{s.username}\t{s.group}{flag}\t{s.display_name}\t{', '.join(s.permissions)}")
        elif args.command == "seed-demo":
            s = admin.seed_demo(data_dir, args.slug, families=args.families, seed=args.seed, today=args.today)
            print(
                f"Seeded {args.slug!r}: {s.locations} locations, {s.families} families, {s.students} students, "
                f"{s.contacts} contacts, {s.classes} classes, {s.sessions} sessions, {s.enrollments} enrollments, "
                f"{s.alerts} alerts"
            )
    except admin.AdminError as exc:
        print(f"frontdesk-server: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
