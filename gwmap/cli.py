"""``python -m gwmap``: batch work with the same core as the pages."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from pathlib import Path

from gwmap.config import get_settings
from gwmap.errors import GwmapError

logger = logging.getLogger(__name__)

CLI_USER = "cli"


def _store():
    from gwmap.store import open_store

    return open_store(get_settings())


def cmd_init(args: argparse.Namespace) -> int:
    from gwmap.demo import ensure_demo_users, load_demo

    settings = get_settings()
    store = _store()
    out = {"database": settings.database_url.split("@")[-1], "migrated": True}
    if args.demo:
        out["demo_users_created"] = ensure_demo_users(store)
        out["demo_loaded"] = load_demo(store, settings.demo_data_dir)
    from gwmap.store.repo import counts

    out["counts"] = counts(store)
    print(json.dumps(out, ensure_ascii=False) if args.json else
          f"数据库已就绪 / database ready: {out['database']}\n{out['counts']}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from gwmap.store.users import create_user

    password = args.password or getpass.getpass("密码 / password: ")
    user = create_user(_store(), username=args.username, password=password, role=args.role,
                       display_name=args.display_name or "", actor=CLI_USER)
    print(f"已创建 / created: {user.username} ({user.role})")
    return 0


def cmd_import_boundaries(args: argparse.Namespace) -> int:
    from gwmap.store.repo import import_boundary_file
    from gwmap.store.users import CurrentUser

    path = Path(args.file)
    if not path.is_file():
        raise GwmapError("err.file.missing", f"No such file: {path}", name=str(path))
    operator = CurrentUser(CLI_USER, "admin", "command line")
    info, notes = import_boundary_file(_store(), operator, path.read_bytes(), path.name, crs=args.crs,
                                       name_field=args.name_field, code_field=args.code_field)
    out = {"version": info.id, "townships": info.township_count, "county_area_km2": round(info.county_area_km2, 1),
           "notices": [code for code, _ in notes]}
    print(json.dumps(out, ensure_ascii=False) if args.json else
          f"边界版本 {info.id}: {info.township_count} 个乡镇, 全县面积 {info.county_area_km2:.1f} km²")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gwmap", description="冠县地下水监管一张图 command line")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("init", help="create or migrate the database; --demo loads the demo county and users")
    s.add_argument("--demo", action="store_true")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("create-user", help="create an account")
    s.add_argument("username")
    s.add_argument("--role", required=True, choices=["admin", "hydrologist", "enforcement", "leader"])
    s.add_argument("--display-name")
    s.add_argument("--password", help="omit to be asked (safer than the shell history)")
    s.set_defaults(func=cmd_create_user)

    s = sub.add_parser("import-boundaries", help="import township boundaries as a new version")
    s.add_argument("file")
    s.add_argument("--name-field", required=True)
    s.add_argument("--code-field")
    s.add_argument("--crs", help="wgs84, cgcs2000, gk3_cm114, gk3_cm117, gk3_zone38, gk3_zone39, gcj02 or EPSG:xxxx")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import_boundaries)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        return args.func(args)
    except GwmapError as exc:
        from gwmap.i18n import translate

        lang = os.environ.get("GWMAP_LANG", "zh")
        print(f"错误 / error [{exc.code}]: {translate(exc.code, lang, **exc.params)}", file=sys.stderr)
        return 2
