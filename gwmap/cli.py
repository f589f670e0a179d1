"""``python -m gwmap``: batch work with the same core as the pages."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import sys
import time
from pathlib import Path

from gwmap.config import get_settings
from gwmap.errors import GwmapError
from gwmap.io.files import write_atomic

logger = logging.getLogger(__name__)

CLI_USER = "cli"


def _operator():
    """Who the command line acts as: whoever can run it on the server is its administrator."""
    from gwmap.store.users import system_user

    return system_user(CLI_USER, "command line")


def _store():
    from gwmap.store import open_store

    return open_store(get_settings())


def _landed(store, quiet: bool = True) -> None:  # noqa: ANN001
    """After data land: make every year's 取水一本账 and the screening queue now (:func:`gwmap.kept.warm`)."""
    from gwmap import kept

    def said(fraction: float, name: str, year) -> None:  # noqa: ANN001 - a year, or a round's code
        if not quiet:
            what = {"year_ledger": "取水一本账 / ledger", "screening_queue": "线索筛查 / screening",
                    "level_change": "同期对比 / year on year"}.get(name, "户号关联建议 / account links")
            print(f"  预计算{what}: {year} ({fraction:.0%})", file=sys.stderr, flush=True)

    kept.warm(store, get_settings().data_dir, progress=said)


@contextlib.contextmanager
def _step(args: argparse.Namespace, what: str):
    """Say what a long step of ``init`` is doing, and how long it took (nothing with ``--json``)."""
    t0 = time.monotonic()
    if not args.json:
        print(f"  {what} …", file=sys.stderr, flush=True)
    yield
    if not args.json:
        print(f"  {what}：{time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)


def cmd_init(args: argparse.Namespace) -> int:
    from gwmap.county import DEFAULT_ADCODE
    from gwmap.demo import DEMO_LOADER, ensure_demo_users, load_demo
    from gwmap.targets import set_up_county

    if args.demo and args.county and args.county != DEFAULT_ADCODE:
        raise GwmapError("err.county.demo", "The demo is of the default county.", adcode=args.county)
    settings = get_settings()
    store = _store()
    out = {"database": settings.database_url.split("@")[-1], "migrated": True}
    county, created = set_up_county(store, _operator(), args.county, name=args.name, name_en=args.name_en)
    out["county"] = {"adcode": county.adcode, "name": county.name, "created": created}
    if args.demo:
        out["demo_users_created"] = ensure_demo_users(store)
        with _step(args, "载入演示县（机井、封井、线索、统测）/ loading the demo county"):
            out["demo_loaded"] = load_demo(store, settings.demo_data_dir, settings.evidence_dir)
        if out["demo_loaded"]:
            from gwmap.demo_power import add_demo_power

            # the abstraction ledger's records: kept out of load_demo, whose database every test copies
            with _step(args, "生成演示用电与水表记录 / making the demo power and meter records"):
                out["demo_power"] = add_demo_power(store, DEMO_LOADER)
        from gwmap.demo import ensure_demo_dispatch

        out["demo_dispatch"] = ensure_demo_dispatch(store)  # today's stops for the demo team's field page
    else:
        from gwmap.store.users import disable_demo_accounts

        out["demo_accounts_disabled"] = disable_demo_accounts(store)
        if out["demo_accounts_disabled"] and not args.json:
            print("演示账号已停用（非演示模式）/ demo accounts disabled outside demo mode: "
                  + ", ".join(out["demo_accounts_disabled"]), file=sys.stderr)
    if args.scale_wells:
        from gwmap.scale import add_synthetic_wells

        def added(fraction: float) -> None:
            if not args.json:
                print(f"\r  添加试算机井 / adding synthetic wells: {fraction:.0%}", end="", file=sys.stderr)

        out["synthetic_wells_added"] = add_synthetic_wells(store, _operator(), args.scale_wells, progress=added)
        if not args.json:
            print(file=sys.stderr)
    from gwmap.runs import precompute
    from gwmap.store.repo import counts

    def said(fraction: float, code: str) -> None:
        if not args.json and code:
            from gwmap.i18n import survey_label

            print(f"  预计算漏斗区 / precomputing the dashboard cone: {survey_label(code)} ({fraction:.0%})",
                  file=sys.stderr)

    out["counts"] = counts(store)
    out["precomputed_surveys"] = precompute(store, _operator(), data_dir=settings.data_dir, progress=said)
    with _step(args, "预计算取水一本账、线索筛查与同期对比 / precomputing the ledgers, the screening queue and year on year"):
        _landed(store, quiet=args.json)
    print(json.dumps(out, ensure_ascii=False) if args.json else
          f"数据库已就绪 / database ready: {out['database']} ({county.name} {county.adcode})\n{out['counts']}")
    return 0


def _problem_rows(problems, lang: str) -> list[dict]:  # noqa: ANN001
    from gwmap.i18n import translate

    return [{"row": p.row, "column": p.column, "value": p.value, "code": p.code,
             "message": translate(p.code, lang, **p.params)} for p in problems]


def cmd_import_registry(args: argparse.Namespace) -> int:
    """The registry from an office's sheet: every problem with its row, nothing stored unless clean."""
    from gwmap.registry import check_registry, import_registry, preview_import, read_registry
    from gwmap.store.repo import current_boundaries

    path = Path(args.file)
    if not path.is_file():
        raise GwmapError("err.file.missing", f"No such file: {path}", name=str(path))
    store = _store()
    _, townships, outline = current_boundaries(store)
    df = read_registry(path.read_bytes(), path.name, encoding=args.encoding)
    check = check_registry(df, townships=townships, outline=outline, aquifer_depth_m=args.aquifer_depth)
    lang = os.environ.get("GWMAP_LANG", "zh")
    out = {"file": path.name, "header_row": df.attrs.get("header_row"), "rows": check.n_input,
           "usable_rows": len(check.rows), "problems": _problem_rows(check.problems, lang),
           "mapping": check.mapping, "ignored_columns": list(check.ignored_columns),
           "repeated_rows": [r for r, _ in check.repeated], "units": check.units,
           "aquifer_rule_m": check.aquifer_rule_m, "dry_run": bool(args.dry_run or not check.clean)}
    plan = preview_import(store, check)
    out |= {"would_add": len(plan.added), "would_change": len(plan.changed), "unchanged": plan.unchanged}
    if check.clean and not args.dry_run:
        out |= import_registry(store, _operator(), check)
        _landed(store)
    lines = [f"{path.name}: {check.n_input} 行 / rows, {len(check.rows)} 行可导入 / usable, "
             f"{len(check.problems)} 个问题 / problems"]
    lines += [f"  第 {p['row']} 行 [{p['column']}] {p['value']}: {p['message']}" for p in out["problems"][:50]]
    if "added" in out:
        lines.append(f"已导入 / imported: 新增 {out['added']}, 修改 {out['updated']}, 不变 {out['unchanged']}")
    _report(args, out, lines)
    return 0 if check.clean else 2


def cmd_import_survey(args: argparse.Namespace) -> int:
    """A water-level survey from a file (title rows skipped): checked whole, stored as a new version when clean."""
    import pandas as pd

    from gwmap.store import repo
    from gwmap.surveys import (
        SEASONS,
        SurveyMapping,
        check_survey,
        earlier_import,
        guess_mapping,
        guess_round,
        import_survey,
        list_surveys,
        read_survey,
        survey_points,
        value_kind_of,
    )

    path = Path(args.file)
    if not path.is_file():
        raise GwmapError("err.file.missing", f"No such file: {path}", name=str(path))
    raw = path.read_bytes()
    df = read_survey(raw, path.name, encoding=args.encoding)
    guess = guess_mapping(list(df.columns))
    for need in ("well", "date", "value"):
        if guess[need] is None:
            raise GwmapError("err.survey.no_column", "A needed column is missing.", column=need,
                             columns=", ".join(map(str, df.columns)))
    kind = args.value or value_kind_of(guess["value"])
    if kind is None:
        raise GwmapError("err.survey.value_kind_cli", "Say what the value is.", column=guess["value"])
    mapping = SurveyMapping(well=guess["well"], date=guess["date"], value=guess["value"], value_kind=kind,
                            aquifer=args.aquifer, aquifer_column=guess["aquifer"], lon=guess["lon"], lat=guess["lat"],
                            ground_elev=guess["ground_elev"], mp_elev=guess["mp_elev"], method=guess["method"],
                            observer=guess["observer"])
    store = _store()
    _, _, outline = repo.current_boundaries(store)
    done = list_surveys(store)
    hist = pd.DataFrame() if args.series else pd.concat([survey_points(store, i) for i in done.id] or [pd.DataFrame()])
    check = check_survey(df, mapping, wells=repo.monitoring_wells_frame(store), outline=outline,
                         history=hist if len(hist) else None, raw=raw, series=args.series)
    if args.series:  # loggers or monthly readings: each well's daily means, no round
        return _import_series(args, store, check, path, raw)
    if args.round:
        try:
            year_text, season = args.round.split("-")
            year = int(year_text)
            if season not in SEASONS:
                raise ValueError
        except ValueError:
            raise GwmapError("err.survey.round", "Not a round.", value=args.round) from None
    else:
        year, season = guess_round(check.rows["measured_on"])
    lang = os.environ.get("GWMAP_LANG", "zh")
    before = earlier_import(store, check.sha256)
    out = {"file": path.name, "header_row": df.attrs.get("header_row"), "round": f"{year}-{season}",
           "value_kind": kind, "rows": check.n_input, "usable_rows": len(check.rows),
           "errors": _problem_rows(check.errors, lang), "flags": _problem_rows(check.flags, lang),
           "new_wells": list(check.new_wells["mw_code"]), "same_file_as": before,
           "dry_run": bool(args.dry_run or not check.clean or before)}
    if not out["dry_run"]:
        out["survey_ids"] = import_survey(store, _operator(), check, year=year, season=season, source_name=path.name,
                                          raw=raw, uploads_dir=get_settings().uploads_dir,
                                          add_new_wells=args.add_new_wells)
        from gwmap.runs import precompute

        precompute(store, _operator(), data_dir=get_settings().data_dir)
        _landed(store)  # the ledgers' lift reads the depth surfaces
    lines = [f"{path.name}: {out['round']}, {check.n_input} 行 / rows, {len(check.errors)} 个错误 / errors, "
             f"{len(check.flags)} 个存疑 / flagged, 新井 / new wells {len(check.new_wells)}"]
    lines += [f"  第 {p['row']} 行 [{p['column']}] {p['value']}: {p['message']}" for p in out["errors"][:50]]
    if before:
        from gwmap.i18n import survey_label as label
        from gwmap.i18n import translate

        lines.append(translate("err.survey.same_file", lang, **(before | {"code": label(before["code"], lang)})))
    if "survey_ids" in out:
        lines.append(f"已导入 / imported: {out['survey_ids']}")
    _report(args, out, lines)
    return 0 if "survey_ids" in out or (args.dry_run and check.clean and not before) else 2


def _import_series(args: argparse.Namespace, store, check, path: Path, raw: bytes) -> int:  # noqa: ANN001
    from gwmap.surveys import import_series

    lang = os.environ.get("GWMAP_LANG", "zh")
    rows = check.rows
    out = {"file": path.name, "series": True, "rows": check.n_input, "usable_rows": len(rows),
           "wells": int(rows["mw_code"].nunique()) if len(rows) else 0,
           "first": min(rows["measured_on"]).isoformat() if len(rows) else None,
           "last": max(rows["measured_on"]).isoformat() if len(rows) else None,
           "errors": _problem_rows(check.errors, lang), "flags": _problem_rows(check.flags, lang),
           "new_wells": list(check.new_wells["mw_code"]), "dry_run": bool(args.dry_run or not check.clean)}
    if not out["dry_run"]:
        out["stored"] = import_series(store, _operator(), check, source_name=path.name, raw=raw,
                                      uploads_dir=get_settings().uploads_dir, add_new_wells=args.add_new_wells)
    lines = [f"{path.name}: 站点系列 / station series, {out['wells']} 眼井 / wells, {out['first']} – {out['last']}, "
             f"{check.n_input} 行 / rows, {len(check.errors)} 个错误 / errors"]
    lines += [f"  第 {p['row']} 行 [{p['column']}] {p['value']}: {p['message']}" for p in out["errors"][:50]]
    if "stored" in out:
        lines.append(f"已导入 / stored: {out['stored']}")
    _report(args, out, lines)
    return 0 if "stored" in out or (args.dry_run and check.clean) else 2


def cmd_power_links(args: argparse.Namespace) -> int:
    """户号 → well: ``suggest`` (for a person to check), ``confirm`` one, ``import``/``export`` a sheet, ``list``."""
    import numpy as np

    from gwmap.power_links import import_links, link_accounts, links_frame, links_xlsx, suggest_links

    store = _store()
    if args.action == "suggest":
        df = suggest_links(store)
        if args.accept_basis:  # confirm the suggestions of these bases as they are (the person has checked them)
            pick = df[df["basis"].isin(args.accept_basis) & (df["well_code"] != "")]
            out = {"confirmed": link_accounts(store, _operator(), pick[["account", "well_code", "basis"]]
                                              .to_dict("records")) if len(pick) else {"added": 0}}
        else:
            out = {}
        out["suggestions"] = df.replace({np.nan: None}).to_dict("records") if len(df) else []
        lines = [f"{r['account']} {r['account_name']} {r['address']}: {r['kwh']:,.0f} kWh → "
                 f"{r['well_code'] or '—'} ({r['basis'] or '无建议 / none'})" for r in out["suggestions"][:100]]
    elif args.action == "confirm":
        if not args.account or not args.well:
            raise GwmapError("err.links.none", "Give --account and --well.")
        out = link_accounts(store, _operator(), [{"account": args.account, "well_code": args.well,
                                                  "basis": "manual"}], replace=args.replace)
        _landed(store)
        lines = [f"户号 {args.account} → {args.well}: {out}"]
    elif args.action == "import":
        path = Path(args.file or "")
        if not path.is_file():
            raise GwmapError("err.file.missing", f"No such file: {path}", name=str(path))
        out = import_links(store, _operator(), path.read_bytes(), path.name, replace=args.replace)
        _landed(store)
        lines = [str(out)]
    elif args.action == "export":
        if not args.file:
            raise GwmapError("err.file.missing", "Give the file to write.", name="")
        write_atomic(Path(args.file), links_xlsx(store))
        out, lines = {"out": args.file}, [f"已写出 / written {args.file}"]
    else:
        out = {"links": links_frame(store).to_dict("records")}
        lines = [f"{r['account']} → {r['well_code']} ({r['basis']}, {r['confirmed_by']})" for r in out["links"]]
    _report(args, out, lines)
    return 0


def cmd_targets(args: argparse.Namespace) -> int:
    """The plan's targets per year: ``set`` one year's, ``import`` a sheet, ``list`` them."""
    from gwmap.targets import TARGET_FIELDS, import_targets, set_targets, targets_frame

    store = _store()
    if args.action == "set":
        values = {k: getattr(args, k) for k in TARGET_FIELDS if getattr(args, k, None) is not None}
        row = set_targets(store, _operator(), year=args.year, source=args.source or "", replace=args.replace, **values)
        rows = [row]
    elif args.action == "import":
        path = Path(args.file or "")
        if not path.is_file():
            raise GwmapError("err.file.missing", f"No such file: {path}", name=str(path))
        rows = import_targets(store, _operator(), path.read_bytes(), path.name, replace=args.replace)
    else:
        rows = targets_frame(store).to_dict("records")

    def clean(v):  # noqa: ANN001, ANN202
        return None if v is None or (isinstance(v, float) and v != v) else v

    rows = [{k: clean(v) for k, v in r.items()} for r in rows]
    _report(args, {"targets": rows}, [
        f"{r['year']}: " + ", ".join(f"{k} {r[k]:,}" if isinstance(r[k], (int, float)) and not isinstance(r[k], bool)
                                     else f"{k} {r[k]}" for k in TARGET_FIELDS if r.get(k) is not None)
        + f"  ({r['source']})" for r in rows] or ["（未录入目标 / no targets entered）"])
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from gwmap.store.users import create_user

    password = args.password or getpass.getpass("密码 / password: ")
    user = create_user(_store(), _operator(), username=args.username, password=password, role=args.role,
                       display_name=args.display_name or "")
    print(f"已创建 / created: {user.username} ({user.role})")
    return 0


def cmd_import_boundaries(args: argparse.Namespace) -> int:
    from gwmap.boundaries import boundary_hint, import_boundary_file, prepare_boundaries, preview_membership, stored_county_area
    from gwmap.io.boundaries import read_boundary_file

    path = Path(args.file)
    if not path.is_file():
        raise GwmapError("err.file.missing", f"No such file: {path}", name=str(path))
    operator = _operator()
    if args.dry_run:  # what would change, nothing stored
        read = read_boundary_file(path.read_bytes(), path.name, crs=args.crs)
        store = _store()
        prepared = prepare_boundaries(read.gdf, name_field=args.name_field, code_field=args.code_field,
                                      expected_km2=stored_county_area(store))
        change = preview_membership(store, prepared)
        notes = read.warnings + prepared.warnings + boundary_hint(store, prepared, crs_declared=args.crs is not None)
        out = {"version": None, "dry_run": True, "township_count": len(prepared.townships),
               "county_area_km2": round(prepared.county_area_km2, 1)}
    else:
        info, notes, change = import_boundary_file(_store(), operator, path.read_bytes(), path.name, crs=args.crs,
                                                   name_field=args.name_field, code_field=args.code_field)
        out = {"version": info.id, "township_count": info.township_count,
               "county_area_km2": round(info.county_area_km2, 1)}
    out |= change.to_json() | {"notices": [code for code, _ in notes]}
    _report(args, out, [
        f"边界版本 / version {out['version'] or '(试算 / dry run)'}: {out['township_count']} 个乡镇, "
        f"全县面积 {out['county_area_km2']:.1f} km²",
        *(f"  {t['code']} {t['name']}: {t['area_km2']:.1f} km², 机井 {t['wells']}, 线索 {t['leads']}, "
          f"监测井 {t['monitoring_wells']}" for t in out["townships"]),
        f"改变乡镇 / changed: {out['changed']}; 不在任何乡镇 / outside: {out['outside']}"])
    return 0


def _surface_from_args(args: argparse.Namespace):
    from gwmap.io.tables import read_points
    from gwmap.surface import interpolate

    pts = read_points(args.points, x=args.x, y=args.y, crs=args.crs, encoding=args.encoding)
    if args.value in pts.columns:  # to metres: every threshold and output is in metres
        import pandas as pd

        from gwmap.surveys import UNITS

        pts[args.value] = pd.to_numeric(pts[args.value].astype(str).str.strip().str.replace(",", "", regex=False),
                                        errors="coerce") * UNITS[args.unit]
    townships = None
    if args.boundary:
        townships = _read_boundary(args)
    surf = interpolate(pts, args.value, boundary=townships, method=args.method, cell_m=args.cell,
                       neighbours=args.neighbours)
    return surf, townships


def _read_boundary(args: argparse.Namespace):
    from gwmap.io.boundaries import guess_fields, read_boundary_file

    path = Path(args.boundary)
    if not path.is_file():
        raise GwmapError("err.file.missing", f"No such file: {path}", name=str(path))
    read = read_boundary_file(path.read_bytes(), path.name, crs=args.boundary_crs)
    name, code = guess_fields(read.fields)
    gdf = read.gdf
    gdf["name"] = gdf[args.name_field or name].astype(str) if (args.name_field or name) else ""
    gdf["code"] = gdf[args.code_field or code].astype(str) if (args.code_field or code) else gdf["name"]
    return gdf[["code", "name", "geometry"]]


def _report(args: argparse.Namespace, data: dict, lines: list[str], warnings: list[str] = ()) -> None:
    """The command's result: ``data`` as one JSON line with ``--json``; else ``lines``, warnings on stderr."""
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return
    for line in lines:
        print(line)
    for w in warnings:
        print(w, file=sys.stderr)


def _warnings(result) -> list[str]:
    from gwmap.i18n import translate

    lang = os.environ.get("GWMAP_LANG", "zh")
    return [translate(code, lang, **params) for code, params in result.warnings]


def cmd_import_power(args: argparse.Namespace) -> int:
    """The grid company's monthly kWh (or water-meter readings with ``--kind meter``): checked, then stored."""
    from gwmap.abstraction import import_upload, read_upload
    from gwmap.i18n import translate

    path = Path(args.file)
    if not path.is_file():
        raise GwmapError("err.file.missing", f"No such file: {path}", name=str(path))
    raw = path.read_bytes()
    store = _store()
    check = read_upload(store, raw, path.name, kind=args.kind, encoding=args.encoding)
    lang = os.environ.get("GWMAP_LANG", "zh")
    out = {"kind": check.kind, "file": path.name, "sha256": check.sha256, "rows": check.n_input,
           "usable": len(check.rows),
           "problems": [{"row": p.row, "column": p.column, "value": p.value, "code": p.code,
                         "message": translate(p.code, lang, **p.params)} for p in check.problems],
           "upload_id": None}
    from gwmap.abstraction import match_report

    out |= match_report(store, check)
    if not check.problems and not args.dry_run:
        out["upload_id"] = import_upload(store, _operator(), check, source_name=path.name, raw=raw,
                                         uploads_dir=get_settings().uploads_dir)
        _landed(store)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for p in out["problems"]:
            print(f"第 {p['row']} 行 [{p['column']}] {p['value']}: {p['message']}")
        print(f"{out['usable']}/{out['rows']} rows usable; upload {out['upload_id'] or '— (nothing stored)'}")
        if out.get("billing_rule_day"):
            print(translate("power.billing_rule", lang, day=out["billing_rule_day"]))
        print(translate("power.matched", lang, rows=out["matched_rows"]))
        if out["unmatched_rows"]:
            print(translate("power.unmatched", lang, rows=out["unmatched_rows"], kwh=f"{out['unmatched_kwh']:,.0f}"))
            for a in out["unmatched_accounts"][:20]:
                print(f"  {a['account'] or a['meter_no']} {a['name']} {a['address']}: {a['kwh']:,.0f} kWh")
    return 2 if check.problems else 0


def cmd_import_rainfall(args: argparse.Namespace) -> int:
    """A rain gauge's monthly rainfall (one row a month, or a yearbook's year rows): checked, then stored."""
    from gwmap.i18n import translate
    from gwmap.rainfall import check_rainfall, import_rainfall, read_rainfall

    path = Path(args.file)
    if not path.is_file():
        raise GwmapError("err.file.missing", f"No such file: {path}", name=str(path))
    raw = path.read_bytes()
    store = _store()
    check = check_rainfall(read_rainfall(raw, path.name, encoding=args.encoding), raw=raw)
    lang = os.environ.get("GWMAP_LANG", "zh")
    out = {"file": path.name, "sha256": check.sha256, "rows": check.n_input, "usable": len(check.rows),
           "first": check.rows["month"].min() if len(check.rows) else None,
           "last": check.rows["month"].max() if len(check.rows) else None,
           "problems": _problem_rows(check.problems, lang), "stored": None}
    if not check.problems and not args.dry_run:
        out["stored"] = import_rainfall(store, _operator(), check, default_station=args.station or "")
        _landed(store)  # the year-on-year comparison carries the rain beside it
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for p in out["problems"][:50]:
            print(f"第 {p['row']} 行 [{p['column']}] {p['value']}: {p['message']}")
        print(f"{path.name}: {out['usable']} 个月可导入 / months usable ({out['first']} – {out['last']}), "
              f"{len(out['problems'])} 个问题 / problems")
        if out["stored"]:
            print(translate("rain.imported", lang, **out["stored"]))
    return 2 if check.problems else 0


def cmd_import_zones(args: argparse.Namespace) -> int:
    """The province's over-extraction zones (超采区): checked, then stored as the current set (the old kept)."""
    from gwmap.zones import import_zones, read_zones, zone_areas

    path = Path(args.file)
    if not path.is_file():
        raise GwmapError("err.file.missing", f"No such file: {path}", name=str(path))
    raw = path.read_bytes()
    zf = read_zones(raw, path.name, grade_field=args.grade_field, name_field=args.name_field,
                    aquifer_field=args.aquifer_field, crs=args.crs, grade=args.grade)
    lang = os.environ.get("GWMAP_LANG", "zh")
    out = {"file": path.name, "crs": zf.source_crs, "fields": zf.fields, "zones": [
        {"name": r.name, "grade": r.grade, "aquifer": r.aquifer, "area_km2": round(float(r.area_km2), 2)}
        for r in zf.zones.itertuples()], **zone_areas(zf.zones), "problems": _problem_rows(zf.problems, lang),
        "stored": None}
    if zf.clean and not args.dry_run:
        out["stored"] = import_zones(_store(), _operator(), zf, source_name=path.name, raw=raw,
                                     uploads_dir=get_settings().uploads_dir)
    lines = [f"{z['name']}: {z['grade']} {z['area_km2']:,.1f} km²" for z in out["zones"]]
    lines += [f"  第 {p['row']} 个要素 / feature [{p['column']}] {p['value']}: {p['message']}" for p in out["problems"]]
    lines.append(f"严重 / severe {out['severe_km2']:,.1f} km²，一般 / general {out['general_km2']:,.1f} km²"
                 + (f"；已导入 / stored {out['stored']['zones']}" if out["stored"] else ""))
    _report(args, out, lines)
    return 0 if out["stored"] or (args.dry_run and zf.clean) else 2


def cmd_abstraction(args: argparse.Namespace) -> int:
    """The year's abstraction by source and township (the ledger's totals), against a baseline year."""
    from gwmap.ledger import against_baseline, year_ledger, year_ledger_xlsx, year_summary

    for y in (args.year, args.baseline):
        if y is not None and not 2000 <= y <= 2100:
            raise GwmapError("err.abstraction.year", "The year must be between 2000 and 2100.", year=y)
    store = _store()
    out = year_summary(store, args.year)
    led = year_ledger(store, args.year) if (args.baseline or args.out) else None
    from gwmap.targets import plan_cut_m3

    cmp_ = (against_baseline(led, year_ledger(store, args.baseline), target_cut_m3=plan_cut_m3(store, args.year))
            if args.baseline else None)
    if cmp_:
        out["baseline"] = {"year": args.baseline, "m3": cmp_["baseline_m3"], "cut_m3": cmp_["cut_m3"],
                           "target_cut_m3": cmp_["target_cut_m3"], "met": cmp_["met"],
                           "by_source": cmp_["baseline_by_source"]}
    if args.out:
        from gwmap.i18n import translator
        from gwmap.store.repo import current_boundaries

        names = dict(zip(current_boundaries(store)[1]["code"], current_boundaries(store)[1]["name"], strict=True))
        Path(args.out).write_bytes(year_ledger_xlsx(led, tr=translator("zh"), names=names, baseline=cmp_))
        out["out"] = args.out
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{args.year}: {out['total_m3']:,.0f} m³ ({', '.join(f'{k} {v:,.0f}' for k, v in out['by_source'].items())})")
        for tw in out["townships"]:
            print(f"  {tw['name'] or tw['code']}: {tw['m3']:,.0f} m³")
        if cmp_:
            plan = ("no target entered for the year" if cmp_["target_cut_m3"] is None else
                    f"plan {cmp_['target_cut_m3']:,.0f} m³: {'met' if cmp_['met'] else 'not met'}")
            print(f"baseline {args.baseline}: {cmp_['baseline_m3']:,.0f} m³; cut {cmp_['cut_m3']:,.0f} m³ ({plan})")
    return 0


def cmd_screen(args: argparse.Namespace) -> int:
    """Leads the data suggests for a year (none is registered: a person accepts or dismisses each)."""
    from gwmap import clock
    from gwmap.screening import screen, subject

    year = args.year or clock.today().year
    if not 2000 <= year <= 2100:
        raise GwmapError("err.abstraction.year", "The year must be between 2000 and 2100.", year=year)
    found = screen(_store(), year=year)
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
    else:
        for f in found:
            who = subject(f)
            print(f"{f['reason']:<20} {who}: {json.dumps(f['figures'], ensure_ascii=False)}")
        print(f"{len(found)} suggestions for {year}")
    return 0


def cmd_permits(args: argparse.Namespace) -> int:
    """Permit screening for 行政审批: each permit holder's verdict (limit or ok) with the figures."""
    import math

    from gwmap.reclaimed import permit_verdicts

    if not (math.isfinite(args.reach) and 0 < args.reach <= 50_000):
        raise GwmapError("err.permits.reach", "The reach must be between 0 and 50,000 m.", reach=args.reach)
    keys = ("user", "industry", "permit_no", "permit_m3", "expires", "distance_to_network_m", "uses_reclaimed",
            "verdict", "reason")
    found = [{k: r[k] for k in keys} | {"pipeline": r["pipeline"], "spare_m3_d": r["spare_m3_d"],
                                         "expires_within_12_months": r["expires_within_12_months"]}
             for r in permit_verdicts(_store(), reach_m=args.reach)]
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
    else:
        for r in found:
            d = "—" if r["distance_to_network_m"] is None else f"{r['distance_to_network_m']:,.0f} m"
            print(f"{r['verdict']:<6} {r['user']} ({r['industry']}) {r['permit_no']} {r['permit_m3']:,.0f} m³ "
                  f"→ {r['expires']}; network {d}; {r['reason']}")
        print(f"{sum(r['verdict'] == 'limit' for r in found)} of {len(found)} permit holders: limit")
    return 0


def cmd_surface(args: argparse.Namespace) -> int:
    from gwmap.io.rasters import geotiff_bytes

    surf, _ = _surface_from_args(args)
    out = Path(args.out)
    write_atomic(out, geotiff_bytes(surf))
    info = {"out": str(out), "method": surf.method, "crs": surf.params["crs"], "cell_m": surf.params["cell_m"],
            "shape": list(surf.grid.shape), "n_wells": surf.params["n_wells"], "cv": surf.cv.as_dict(),
            "extrapolated_share": round(surf.extrapolated_share, 4),
            "variogram": surf.params.get("variogram"), "members": surf.params.get("members"),
            "value_unit_in": args.unit, "value_unit": "m",
            "warnings": _warnings(surf)}
    _report(args, info, [f"已写出 / written {out}: {surf.grid.ny}x{surf.grid.nx} 格, 交叉验证 RMSE {surf.cv.rmse:.3f}"],
            info["warnings"])
    return 0


def cmd_cone(args: argparse.Namespace) -> int:
    from gwmap.cone import cone_from_surface

    surf, townships = _surface_from_args(args)
    cone = cone_from_surface(surf, kind=args.kind, threshold=args.threshold, townships=townships)
    if args.out:
        import geopandas as gpd

        from gwmap.io.rasters import vector_bytes

        fmt = Path(args.out).suffix.lstrip(".").lower()
        gdf = gpd.GeoDataFrame({"area_km2": [cone.area_km2], "kind": [cone.kind], "threshold": [cone.threshold]},
                               geometry=[cone.outline], crs=4326)
        write_atomic(Path(args.out), vector_bytes(gdf, "gpkg" if fmt == "gpkg" else fmt, layer="cone"))
    info = cone.as_dict()
    info["threshold_m"] = info.pop("threshold")
    info["extreme_value_m"] = info.pop("extreme_value")
    info["value_unit_in"], info["value_unit"] = args.unit, "m"
    info["warnings"] = _warnings(surf)
    _report(args, info, [f"漏斗区面积 / cone area: {cone.area_km2:.2f} km² ({args.kind} {args.threshold} m), "
                         f"其中外推 / extrapolated: {cone.area_extrapolated_km2:.2f} km²"], info["warnings"])
    return 0


def cmd_levels(args: argparse.Namespace) -> int:
    from gwmap.levels import quarter_on_year, year_on_year

    store = _store()
    if args.quarter:  # the quarter on a year before, from the station series (超采区水位变化)
        r = quarter_on_year(store, None if args.quarter == "latest" else args.quarter, aquifer=args.aquifer,
                            band_m=args.band)
    elif not args.round:
        from gwmap.surveys import list_surveys

        have = list_surveys(store)
        have = have[have["aquifer"] == args.aquifer]
        if have.empty:
            from gwmap.i18n import Term

            raise GwmapError("err.levels.no_round", "No survey.", round="—", aquifer=Term(f"vocab.aquifer.{args.aquifer}"),
                             have="—")
        args.round = have.iloc[-1]["code"]  # the latest round
    if not args.quarter:
        r = year_on_year(store, args.round, compare=args.compare, aquifer=args.aquifer, band_m=args.band)
    out = r.as_json()
    c = out["area_share"]

    def pct(v) -> str:
        return "—" if v is None else f"{v:.0%}"

    lines = [f"{r.round} 对比 / vs {r.compare}（{r.aquifer}）：{out['wells']} 眼同井 / wells in both, "
             f"平均水位变幅 / mean change {out['mean_change_m']:+.2f} m（正值为上升 / positive = rose）",
             f"  上升 / rising {out['rising']}，稳定 / stable {out['stable']}，下降 / falling {out['falling']}（±{r.band_m} m）；"
             f"面积占比 / area share {pct(c['rising'])} / {pct(c['stable'])} / {pct(c['falling'])}"]
    for t in out["townships"]:
        m = "—" if t["mean_change_m"] is None else f"{t['mean_change_m']:+.2f} m"
        lines.append(f"  {t['name']}: {t['wells']} 眼, {m}, {t['rising']}/{t['stable']}/{t['falling']}")
    _report(args, out, lines)
    return 0


def _county_outline():
    """The stored county outline (WGS84), or None when there is no database or no boundary in it yet."""
    from sqlalchemy.exc import SQLAlchemyError

    from gwmap.errors import NotFound
    from gwmap.store import open_store
    from gwmap.store.repo import current_boundaries

    settings = get_settings()
    url = settings.database_url
    if url.startswith("sqlite") and not Path(url.split(":///", 1)[-1]).is_file():
        return None  # a route from a file needs no database; do not create one
    try:
        return current_boundaries(open_store(settings, migrate=False))[2]
    except (NotFound, SQLAlchemyError):
        return None


def cmd_route(args: argparse.Namespace) -> int:
    import geopandas as gpd
    import numpy as np

    from gwmap.dispatch import check_stops, time_limit_for
    from gwmap.i18n import translate
    from gwmap.io.tables import read_points
    from gwmap.routing import check_request, check_size, euclidean_matrix, solve

    check_request(teams=args.teams, day_min=args.hours * 60 if args.hours is not None else None, speed_kmh=args.speed,
                  service_min=args.service, time_limit_s=args.time_limit if args.time_limit is not None else 1.0)
    pts = read_points(args.points, x=args.x, y=args.y, crs=args.crs, encoding=args.encoding)
    if pts.empty:
        raise GwmapError("err.route.no_stops", "The file has no points.")
    id_col = next((c for c in ("id", "ID", "编号", "井编号", "线索编号", "name") if c in pts.columns), pts.columns[0])
    ids = pts[id_col].astype(str).tolist()
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise GwmapError("err.route.duplicate_ids", f"Duplicate ids: {dup[:5]}", ids=", ".join(dup[:5]))
    xs, ys = pts.geometry.x.tolist(), pts.geometry.y.tolist()
    if args.start and args.start not in ids:
        try:
            sx, sy = (float(v) for v in args.start.split(","))
        except ValueError as exc:
            raise GwmapError("err.route.start", f"--start {args.start!r} is neither an id nor LON,LAT.",
                             start=args.start) from exc
        xs, ys, ids = [sx, *xs], [sy, *ys], ["start", *ids]
    geo = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=pts.crs)
    check_size(len(ids) - 1)
    # one check before any solving: not numbers, lon/lat swapped, far from the county
    wgs = geo if geo.crs.is_geographic else geo.to_crs(4326)
    check_stops(ids, wgs.x.to_numpy(), wgs.y.to_numpy(), outline=_county_outline(), allow_far=args.allow_far)
    from gwmap.dispatch import county_grid_crs

    plane = geo.crs if geo.crs.is_projected else county_grid_crs()
    proj = geo.to_crs(plane)
    xy = np.column_stack([proj.x, proj.y])
    start_idx = ids.index(args.start) if args.start and args.start in ids else 0
    order = [start_idx] + [i for i in range(len(ids)) if i != start_idx]
    m = euclidean_matrix(xy[order])
    plan = solve(m, teams=args.teams, day_min=args.hours * 60 if args.hours is not None else None,
                 speed_kmh=args.speed, service_min=args.service,
                 time_limit_s=args.time_limit if args.time_limit is not None else time_limit_for(len(ids) - 1))
    names = [ids[i] for i in order]
    lang = os.environ.get("GWMAP_LANG", "zh")
    notices = [translate(f"routes.notice.{n}", lang, teams=args.teams, stops=len(ids) - 1) for n in plan.notices]
    out = {"start": names[0], "crs": plane.to_string(), "distances": "straight-line metres in that plane",
           "teams": [{"team": r.team + 1, "order": [names[i] for i in r.stops], "length_m": round(r.length_m, 1),
                      "hours": round(r.duration_s / 3600, 2)} for r in plan.routes],
           "left_out": [names[i] for i in plan.dropped],
           "left_out_reasons": {names[i]: plan.reasons[i] for i in plan.dropped},
           "length_m": round(plan.length_m, 1), "seconds": round(plan.seconds, 2), "solver": plan.params["solver"],
           "notices": notices}
    for n in notices:
        print(f"提示 / notice: {n}", file=sys.stderr)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        lines = [f"小组 {t['team']}: {' → '.join(t['order'])} ({t['length_m']:.0f} m, {t['hours']:.2f} h)"
                 for t in out["teams"]]
        lines += [f"未安排 / left out: {i} ({translate('routes.reason_is.' + r, lang)})"
                  for i, r in out["left_out_reasons"].items()]
        print("\n".join(lines))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from gwmap.bulletin import build_bulletin, bulletin_docx
    from gwmap.i18n import translate
    from gwmap.store.repo import current_boundaries

    settings = get_settings()
    store = _store()
    info, townships, _ = current_boundaries(store)
    operator = _operator()
    b = build_bulletin(store, operator, month=args.month, townships=townships, boundary_version=info.id,
                       data_dir=settings.data_dir)
    lang = os.environ.get("GWMAP_LANG", "zh")
    out = Path(args.out)
    tr = lambda k, **p: translate(k, lang, **p)  # noqa: E731
    if out.suffix.lower() == ".docx":
        write_atomic(out, bulletin_docx(b, townships, tr=tr, lang=lang))
    elif out.suffix.lower() == ".pdf":
        from gwmap.bulletin import bulletin_pdf

        write_atomic(out, bulletin_pdf(b, townships, tr=tr, lang=lang))
    else:
        raise GwmapError("err.export.format", f"{out.suffix} is not supported; use .docx or .pdf.", fmt=out.suffix,
                         formats=".docx, .pdf")
    print(f"已写出 / written {out}")
    return 0


def _add_surface_options(s: argparse.ArgumentParser) -> None:
    s.add_argument("points", help="CSV (UTF-8 or GBK) or XLSX; lon/lat or 经度/纬度 columns, or --x/--y with --crs")
    s.add_argument("--value", required=True, help="column to interpolate, e.g. depth_to_water_m")
    s.add_argument("--encoding", choices=["UTF-8", "GBK", "Big5"], help="text encoding of a CSV when it is not clear")
    s.add_argument("--unit", choices=["m", "cm", "ft"], default="m",
                   help="unit of the value column (converted to metres; thresholds and outputs are in metres)")
    s.add_argument("--x")
    s.add_argument("--y")
    s.add_argument("--crs", help="CRS of --x/--y: wgs84, cgcs2000, gk3_cm114, gk3_cm117, gk3_zone38, gk3_zone39, "
                                 "gcj02 or EPSG:xxxx")
    s.add_argument("--method", choices=["kriging", "idw", "auto"], default="kriging",
                   help="auto: every variogram model fitted three ways and IDW, scored by leave-one-out; those "
                        "within 5%% of the best averaged")
    s.add_argument("--cell", type=float, default=100.0, help="cell size in metres (default 100)")
    s.add_argument("--neighbours", type=int)
    s.add_argument("--boundary", help="polygons to clip to (and split the cone by): GeoJSON, zipped SHP, GPKG, KML")
    s.add_argument("--boundary-crs", help="CRS of the boundary file when it has none")
    s.add_argument("--name-field")
    s.add_argument("--code-field")
    s.add_argument("--json", action="store_true")


def cmd_verify(args: argparse.Namespace) -> int:
    from gwmap.store.verify import verify

    report = verify(_store(), get_settings().data_dir)
    out = report.to_json()
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"操作日志 / audit rows: {report.audit_rows}, 链尾 / head: {report.head}")
        print(f"文件 / files checked: {report.files_checked}")
        for b in report.chain_breaks[:50]:
            print(f"  日志断链 / chain break at id {b['id']}: {b['problem']}")
        for f in report.file_problems[:50]:
            print(f"  文件问题 / file problem: {f['table']} #{f['id']} {f['sha256'][:12]}: {f['problem']}")
        print("完好 / intact" if report.ok else "发现问题 / PROBLEMS FOUND")
    return 0 if report.ok else 1


def cmd_backup(args: argparse.Namespace) -> int:
    from gwmap.store.backup import backup

    settings = get_settings()
    info = backup(_store(), settings.data_dir, Path(args.out))
    out = {"file": str(info.path), "backend": info.backend, "revision": info.revision, "audit_head": info.audit_head,
           "files": info.files, "bytes": info.bytes}
    print(json.dumps(out, ensure_ascii=False) if args.json else
          f"备份完成 / backup written: {info.path} ({info.files} 个文件 / files, {info.bytes / 2**20:.1f} MB)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from gwmap.store import open_store
    from gwmap.store.backup import restore
    from gwmap.store.verify import verify

    settings = get_settings()
    info = restore(Path(args.file), settings.database_url, settings.data_dir, force=args.force)
    store = open_store(settings)  # migrates a backup made by an older version
    report = verify(store, settings.data_dir)
    out = {"restored": str(info.path), "backend": info.backend, "files": info.files,
           "audit_head_matches": report.head == info.audit_head or info.revision < "0008", **report.to_json()}
    verdict = "完好 / intact" if report.ok else "发现问题 / PROBLEMS"
    print(json.dumps(out, ensure_ascii=False) if args.json else
          f"已恢复 / restored: {info.path} → {settings.data_dir}; 校验 / verify: {verdict}")
    return 0 if report.ok else 1


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the app (see :mod:`gwmap.ui.launch`)."""
    from gwmap.ui.launch import serve

    address = args.address
    if address is None and get_settings().demo:
        # the demo accounts' passwords are in the README: this machine only, unless asked
        address = "127.0.0.1"
        print("演示模式：只在本机 127.0.0.1 上监听（演示账号的密码是公开的）；局域网访问请加 --address 0.0.0.0"
              "（make run ADDRESS=0.0.0.0）。/ demo mode listens on 127.0.0.1 only (its passwords are public); "
              "--address 0.0.0.0 to open it to the network.", file=sys.stderr)
    return serve(args.port, address)


def build_parser() -> argparse.ArgumentParser:
    from gwmap.i18n import translate

    p = argparse.ArgumentParser(prog="python -m gwmap", description=translate("app.title", "zh") + " command line")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("init", help="create or migrate the database for a county; --demo loads the demo county and "
                                    "users")
    s.add_argument("--demo", action="store_true")
    s.add_argument("--county", metavar="ADCODE", help="the 6-digit code of the county this database serves "
                                                     "(default: the stored one, else the demo county)")
    s.add_argument("--name", help="the county's Chinese name, checked against the code (e.g. 馆陶县)")
    s.add_argument("--name-en", help="its English name, for the English pages")
    s.add_argument("--scale-wells", type=int, default=0, metavar="N",
                   help="add synthetic wells until N are stored (for trials and benchmarks at scale)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("import-registry", help="the well registry from an office's sheet (XLSX or CSV; title rows, "
                                               "office column names, DMS, 万m³ read); nothing stored unless clean")
    s.add_argument("file")
    s.add_argument("--encoding", choices=("UTF-8", "GBK", "Big5"), help="when the file's encoding is not clear")
    s.add_argument("--aquifer-depth", type=float, metavar="M",
                   help="a sheet without 含水层: wells down to M metres are shallow, deeper ones deep")
    s.add_argument("--dry-run", action="store_true", help="check only, store nothing")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import_registry)

    s = sub.add_parser("import-survey", help="a water-level survey (CSV in UTF-8 or GBK, or XLSX; title rows "
                                             "skipped); every problem listed, stored as a new version when clean")
    s.add_argument("file")
    s.add_argument("--aquifer", choices=("shallow", "deep"), required=True,
                   help="the aquifer of the readings (a 含水层 column, where there is one, says it per row)")
    s.add_argument("--round", help="e.g. 2025-spring (default: from the readings' dates)")
    s.add_argument("--value", choices=("depth", "depth_mp", "head"),
                   help="what the value is, when its header does not say (埋深: depth; 水位: head)")
    s.add_argument("--encoding", choices=("UTF-8", "GBK", "Big5"), help="when the file's encoding is not clear")
    s.add_argument("--add-new-wells", action="store_true", help="add unknown wells with coordinates as monitoring wells")
    s.add_argument("--series", action="store_true",
                   help="a station series (automatic loggers, monthly readings: any number of readings a well), "
                        "stored as each well's daily means instead of a round")
    s.add_argument("--dry-run", action="store_true", help="check only, store nothing")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import_survey)

    s = sub.add_parser("power-links", help="grid-company accounts (户号) linked to wells: suggest, confirm, import, "
                                           "export or list (each link confirmed by a person, audited)")
    s.add_argument("action", choices=("suggest", "confirm", "import", "export", "list"))
    s.add_argument("file", nargs="?", help="for import/export: the XLSX (户号, 机井编号, 依据)")
    s.add_argument("--account")
    s.add_argument("--well")
    s.add_argument("--accept-basis", nargs="*", choices=("owner_village", "nearest"),
                   help="with suggest: confirm the suggestions found this way, as listed")
    s.add_argument("--replace", action="store_true", help="move an account already linked to another well")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_power_links)

    s = sub.add_parser("targets", help="the plan's targets per year: set one year's, import a sheet, or list them")
    s.add_argument("action", choices=("set", "import", "list"))
    s.add_argument("file", nargs="?", help="for import: XLSX or CSV, one row per year (the targets page's template)")
    s.add_argument("--year", type=int)
    s.add_argument("--sealed-wells", dest="sealed_wells", type=int, help="wells to seal that year")
    s.add_argument("--cut-m3", dest="cut_m3", type=float, help="groundwater abstraction to cut (m³ a year)")
    s.add_argument("--reclaimed-used-m3", dest="reclaimed_used_m3", type=float, help="reclaimed water to use (m³)")
    s.add_argument("--reclaimed-rate", dest="reclaimed_rate", help="reclaimed-water utilisation rate (0.5 or 50%%)")
    s.add_argument("--deep-stopped", dest="deep_stopped", choices=("yes", "no"),
                   help="deep-aquifer abstraction fully stopped by the year's end")
    s.add_argument("--cone-area-km2", dest="cone_area_km2", type=float, help="the cone at most this large (km²)")
    s.add_argument("--level-rise-m", dest="level_rise_m", type=float,
                   help="mean water-table rise at least this (m, same season a year before)")
    s.add_argument("--source", help="the document the targets come from (title and number)")
    s.add_argument("--replace", action="store_true", help="replace figures already stored for the year")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_targets)

    s = sub.add_parser("serve", help="start the app (the session cookie endpoints included; no outside request)")
    s.add_argument("--port", type=int, default=8501)
    s.add_argument("--address", help="address to listen on (default: all, but 127.0.0.1 in demo mode; "
                                     "127.0.0.1 behind nginx)")
    s.set_defaults(func=cmd_serve)

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
    s.add_argument("--dry-run", action="store_true", help="show what would change (townships, membership), store nothing")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import_boundaries)

    s = sub.add_parser("import-power", help="the grid company's monthly kWh per meter (or --kind meter: water-meter "
                                            "readings); every problem listed, nothing stored unless the file is clean")
    s.add_argument("file")
    s.add_argument("--kind", choices=("power", "meter"), default="power")
    s.add_argument("--encoding", choices=("UTF-8", "GBK", "Big5"), help="when the file's encoding is not clear")
    s.add_argument("--dry-run", action="store_true", help="check only, store nothing")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import_power)

    s = sub.add_parser("import-rainfall", help="a rain gauge's monthly rainfall (CSV in UTF-8 or GBK, or XLSX): one row "
                                               "a month, or a yearbook table of year rows with 1月…12月; title rows "
                                               "above the header are passed over; nothing stored unless clean")
    s.add_argument("file")
    s.add_argument("--station", help="the gauge of rows that name none (default: the county's name)")
    s.add_argument("--encoding", choices=("UTF-8", "GBK", "Big5"), help="when the file's encoding is not clear")
    s.add_argument("--dry-run", action="store_true", help="check only, store nothing")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import_rainfall)

    s = sub.add_parser("import-zones", help="the province's over-extraction zones (超采区, 严重/一般): GeoJSON, zipped "
                                            "Shapefile, GeoPackage or KML; stored as the current set, the old kept")
    s.add_argument("file")
    s.add_argument("--grade-field", help="the field holding 严重/一般 (default: guessed from its name)")
    s.add_argument("--grade", choices=("severe", "general"), help="one grade for every zone of a file without one")
    s.add_argument("--name-field")
    s.add_argument("--aquifer-field")
    s.add_argument("--crs", help="the file's CRS when it states none (e.g. cgcs2000, gk3_cm117)")
    s.add_argument("--dry-run", action="store_true", help="check only, store nothing")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import_zones)

    s = sub.add_parser("abstraction", help="a year's groundwater abstraction: metered, from electricity (以电折水) "
                                           "or by quota, per township")
    s.add_argument("--year", type=int, required=True)
    s.add_argument("--baseline", type=int, help="compare with this year's total and the plan's cut (115万 m³)")
    s.add_argument("--out", help="also write the ledger (台账) as Excel: summary, wells, townships, months")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_abstraction)

    s = sub.add_parser("permits", help="permit screening for 行政审批: high-water-use permit holders within reach "
                                       "of reclaimed water with spare capacity that do not take it (limit)")
    s.add_argument("--reach", type=float, default=2000.0, help="metres to a pipeline with spare capacity (2000)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_permits)

    s = sub.add_parser("screen", help="leads the data suggests (power after sealing, unknown meters, over or "
                                      "expired permits, level anomalies), for a person to accept or dismiss")
    s.add_argument("--year", type=int, help="default: this year")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_screen)

    s = sub.add_parser("surface", help="interpolate points onto a grid and write a GeoTIFF")
    _add_surface_options(s)
    s.add_argument("--out", required=True, help="GeoTIFF to write")
    s.set_defaults(func=cmd_surface)

    s = sub.add_parser("cone", help="outline the depression cone and print its area")
    _add_surface_options(s)
    s.add_argument("--kind", choices=["depth", "head"], required=True)
    s.add_argument("--threshold", type=float, required=True, help="in metres, whatever --unit says")
    s.add_argument("--out", help="also write the outline: .gpkg, .geojson or .shp (zipped)")
    s.set_defaults(func=cmd_cone)

    s = sub.add_parser("levels", help="year on year at the same wells (同期对比): mean change of the water level, "
                       "wells and area rising / stable / falling, per township")
    s.add_argument("--round", help="the round, e.g. 2026-autumn (default: the latest)")
    s.add_argument("--compare", help="the round to compare with (default: the same round a year before)")
    s.add_argument("--aquifer", default="shallow", choices=["shallow", "deep"])
    s.add_argument("--band", type=float, default=0.5, help="metres within which a change counts as stable (0.5)")
    s.add_argument("--quarter", nargs="?", const="latest",
                   help="the quarter on the same quarter a year before from the station series (超采区水位变化), e.g. "
                        "2026Q3; alone: the newest with a year before")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_levels)

    s = sub.add_parser("route", help="visit order and length in metres per team (fast-tsp, PyVRP)")
    s.add_argument("points", help="CSV or XLSX with an id column and lon/lat (or --x/--y with --crs)")
    s.add_argument("--encoding", choices=["UTF-8", "GBK", "Big5"], help="text encoding of a CSV when it is not clear")
    s.add_argument("--x")
    s.add_argument("--y")
    s.add_argument("--crs")
    s.add_argument("--start", help="id of the start point, or LON,LAT (X,Y in a projected CRS); default: first row")
    s.add_argument("--teams", type=int, default=1)
    s.add_argument("--hours", type=float, help="working hours per team (default: no limit)")
    s.add_argument("--speed", type=float, default=30.0, help="km/h")
    s.add_argument("--service", type=float, default=0.0, help="minutes per stop")
    s.add_argument("--time-limit", type=float, help="seconds for the solver (default: 3 s, more above 200 stops)")
    s.add_argument("--allow-far", action="store_true", help="accept points more than 50 km from the county")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_route)

    s = sub.add_parser("report", help="the monthly bulletin (Word or PDF) from the database")
    s.add_argument("--month", required=True, help="YYYY-MM")
    s.add_argument("--out", required=True, help="FILE.docx or FILE.pdf")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("verify", help="check the audit chain and every stored file against its hash (exit 1 on a break)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("backup", help="the database (online) and every stored file, with a manifest of hashes, as one ZIP")
    s.add_argument("--out", required=True, help="FILE.zip")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_backup)

    s = sub.add_parser("restore", help="restore a backup into the configured database and data folder")
    s.add_argument("file")
    s.add_argument("--force", action="store_true", help="replace a database or data folder that holds data")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_restore)
    return p


def _activate_county() -> None:
    """Read the county profile of an existing database, so messages and checks name that county."""
    from sqlalchemy.exc import SQLAlchemyError

    from gwmap.county import profile
    from gwmap.store import open_store

    settings = get_settings()
    url = settings.database_url
    if url.startswith("sqlite") and not Path(url.split(":///", 1)[-1]).is_file():
        return  # nothing stored yet: the default county's names; create no database here
    try:
        profile(open_store(settings, migrate=False))
    except SQLAlchemyError:  # an old database not migrated yet, or none reachable: init will say
        logger.info("no county profile read", exc_info=True)


def main(argv: list[str] | None = None) -> int:
    _activate_county()
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        return args.func(args)
    except GwmapError as exc:
        from gwmap.i18n import translate

        lang = os.environ.get("GWMAP_LANG", "zh")
        print(f"错误 / error [{exc.code}]: {translate(exc.code, lang, **exc.params)}", file=sys.stderr)
        for name, text in getattr(exc, "previews", {}).items():  # an unclear encoding: show each reading
            print(f"--encoding {name}:\n{text}\n", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped (`| head`): not an error of ours
        sys.stderr.close()
        return 141
    except Exception as exc:  # a bug: one line with an id, the traceback only with -v
        import uuid

        error_id = uuid.uuid4().hex[:8]
        logger.error("unexpected error %s", error_id, exc_info=exc if args.verbose else None)
        print(f"内部错误 / internal error {error_id}: {type(exc).__name__}: {exc} (-v shows the details)",
              file=sys.stderr)
        return 3
