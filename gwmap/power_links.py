"""Grid-company accounts (户号) linked to wells, so electricity keyed by account reaches the ledger.

The grid company's monthly file names an account, its holder (户名) and address (用电地址), usually no meter
number and never a well code.  :func:`suggest_links` proposes a well for each account the registry cannot
place (户名 = 井主 with the well's village in the address; else the nearest well to the account's position);
a person confirms each (:func:`link_accounts`, audited); the links go out and come back as Excel.
:func:`keyed` lets the ledger read a linked account's kWh as its well's.
"""

from __future__ import annotations

import io
import logging

import numpy as np
import pandas as pd
from sqlalchemy import select

from gwmap.errors import InputDataError
from gwmap.store.db import Store
from gwmap.store.models import PowerLink, PowerRecord, Well
from gwmap.store.users import CurrentUser, authorize

logger = logging.getLogger(__name__)

__all__ = ["BASES", "LINK_COLUMNS", "links_frame", "suggest_links", "link_accounts", "links_xlsx", "import_links",
           "keyed", "account_key"]

BASES = ("meter", "owner_village", "nearest", "manual", "file")
#: The links sheet's headers (Chinese first).
LINK_COLUMNS = {"account": ("户号", "account"), "well_code": ("机井编号", "well_code"), "basis": ("依据", "basis")}
#: An account's position this far from its nearest well suggests no well.
NEAREST_M = 300.0


def account_key(account: str) -> str:
    """The key a linked account's kWh go by in the ledger when its well has no meter number of its own."""
    return f"户号:{account}"


def links_frame(store: Store) -> pd.DataFrame:
    """Every confirmed link: ``account``, ``well_code``, ``basis``, ``confirmed_by``."""
    with store.session() as s:
        rows = s.execute(select(PowerLink.account, PowerLink.well_code, PowerLink.basis, PowerLink.confirmed_by)
                         .order_by(PowerLink.account)).all()
    return pd.DataFrame(rows, columns=["account", "well_code", "basis", "confirmed_by"])


def suggest_links(store: Store) -> pd.DataFrame:
    """A well for each account no well carries yet, with the basis; accounts without any suggestion too.

    Columns: ``account``, ``account_name``, ``address``, ``kwh`` (all months stored), ``well_code`` ("" when
    none), ``basis``, ``owner``, ``village``, ``distance_m``.  Largest kWh first.
    """
    from gwmap.county import to_plane

    with store.session() as s:
        recs = pd.DataFrame(s.execute(select(PowerRecord.account, PowerRecord.meter_no, PowerRecord.account_name,
                                             PowerRecord.address, PowerRecord.kwh, PowerRecord.lon, PowerRecord.lat)
                                      .where(PowerRecord.account != "")).all(),
                            columns=["account", "meter_no", "account_name", "address", "kwh", "lon", "lat"])
        wells = pd.DataFrame(s.execute(select(Well.well_code, Well.owner, Well.village, Well.power_meter_no, Well.lon,
                                              Well.lat).where(~Well.archived)).all(),
                             columns=["well_code", "owner", "village", "power_meter_no", "lon", "lat"])
        linked = set(s.scalars(select(PowerLink.account)))
    cols = ["account", "account_name", "address", "kwh", "well_code", "basis", "owner", "village", "distance_m"]
    if recs.empty:
        return pd.DataFrame(columns=cols)
    meters = set(wells.loc[wells.power_meter_no != "", "power_meter_no"])
    recs = recs[~recs["account"].isin(linked) & ~recs["meter_no"].isin(meters)]
    def known(values):  # noqa: ANN001, ANN202 - the latest file that names it (older ones may not)
        return next((v for v in reversed(list(values)) if isinstance(v, str) and v.strip()), "")

    acc = recs.groupby("account", as_index=False).agg(account_name=("account_name", known),
                                                       address=("address", known), kwh=("kwh", "sum"),
                                                       lon=("lon", "first"), lat=("lat", "first"))
    by_owner = {o: g for o, g in wells[wells.owner != ""].groupby("owner")}
    out = []
    for r in acc.itertuples():
        cand = by_owner.get(str(r.account_name).strip())
        pick, basis, dist = None, "", np.nan
        if cand is not None:
            here = cand[[bool(v) and str(v) in str(r.address) for v in cand["village"]]]
            if len(here) == 1 or (len(here) > 1 and here["well_code"].nunique() == 1):
                pick, basis = here.iloc[0], "owner_village"
        if pick is None and pd.notna(r.lon) and pd.notna(r.lat) and len(wells):
            wx, wy = to_plane(wells["lon"].to_numpy(float), wells["lat"].to_numpy(float))
            px, py = to_plane(float(r.lon), float(r.lat))
            d = np.hypot(np.asarray(wx) - px, np.asarray(wy) - py)
            i = int(np.argmin(d))
            if d[i] <= NEAREST_M:
                pick, basis, dist = wells.iloc[i], "nearest", float(d[i])
        out.append({"account": r.account, "account_name": r.account_name, "address": r.address,
                    "kwh": round(float(r.kwh), 1), "well_code": "" if pick is None else pick["well_code"],
                    "basis": basis, "owner": "" if pick is None else pick["owner"],
                    "village": "" if pick is None else pick["village"],
                    "distance_m": round(dist) if np.isfinite(dist) else None})
    return pd.DataFrame(out, columns=cols).sort_values("kwh", ascending=False).reset_index(drop=True)


def link_accounts(store: Store, user: CurrentUser, links: list[dict], *, replace: bool = False) -> dict[str, int]:
    """Confirm links ``{account, well_code, basis}`` in one transaction (hydrologists, admins; audited).

    Every account and well is checked before anything is stored; an account linked to another well is
    changed only with ``replace``.  Returns counts of ``added``, ``changed`` and ``unchanged``.
    """
    authorize(store, user, "abstraction.import", target="power links")
    if not links:
        raise InputDataError("err.links.none", "No link given.")
    with store.session(user) as s:
        codes = set(s.scalars(select(Well.well_code).where(~Well.archived)))
        have = {p.account: p for p in s.scalars(select(PowerLink))}
        problems = []
        seen = {}
        for i, ln in enumerate(links, 1):
            account, code = str(ln.get("account", "")).strip(), str(ln.get("well_code", "")).strip()
            basis = str(ln.get("basis") or "manual").strip()
            if not account or len(account) > 32:
                problems.append(("err.links.account", {"row": i, "value": account}))
            elif code not in codes:
                problems.append(("err.links.well", {"row": i, "value": code, "account": account}))
            elif basis not in BASES:
                problems.append(("err.links.basis", {"row": i, "value": basis, "choices": "、".join(BASES)}))
            elif account in seen and seen[account] != code:
                problems.append(("err.links.twice", {"row": i, "value": account}))
            elif account in have and have[account].well_code != code and not replace:
                problems.append(("err.links.other_well", {"row": i, "value": account,
                                                          "well": have[account].well_code}))
            seen[account] = code
        if problems:
            code_, params = problems[0]
            raise InputDataError(code_, f"{len(problems)} links refused.", count=len(problems), **params)
        counts = {"added": 0, "changed": 0, "unchanged": 0}
        for ln in links:
            account, code = str(ln["account"]).strip(), str(ln["well_code"]).strip()
            basis = str(ln.get("basis") or "manual").strip()
            row = have.get(account)
            if row is None:
                row = PowerLink(account=account, well_code=code, basis=basis, confirmed_by=user.username, note="")
                s.add(row)
                have[account] = row
                counts["added"] += 1
            elif row.well_code != code:
                row.well_code, row.basis, row.confirmed_by = code, basis, user.username
                counts["changed"] += 1
            else:
                counts["unchanged"] += 1
        return counts


def links_xlsx(store: Store) -> bytes:
    """The confirmed links as Excel (户号, 机井编号, 依据, 确认人), to check or edit and import again."""
    df = links_frame(store)
    buf = io.BytesIO()
    pd.DataFrame({"户号": df["account"], "机井编号": df["well_code"], "依据": df["basis"],
                  "确认人": df["confirmed_by"]}).to_excel(buf, index=False)
    return buf.getvalue()


def import_links(store: Store, user: CurrentUser, data: bytes, filename: str, *, replace: bool = False) -> dict[str, int]:
    """Links from a sheet (户号, 机井编号[, 依据]): checked whole, stored in one transaction."""
    from gwmap.io.tables import read_table

    df, _ = read_table(data, filename)
    heads = {str(c).strip().lower(): c for c in df.columns}
    cols = {k: next((heads[h.lower()] for h in names if h.lower() in heads), None) for k, names in LINK_COLUMNS.items()}
    if cols["account"] is None or cols["well_code"] is None:
        raise InputDataError("err.links.columns", "No 户号/机井编号 columns.", columns=", ".join(map(str, df.columns)))
    links = [{"account": r[cols["account"]], "well_code": r[cols["well_code"]],
              "basis": (r[cols["basis"]] if cols["basis"] else "") or "file"} for _, r in df.iterrows()]
    return link_accounts(store, user, links, replace=replace)


def keyed(store: Store, wells: pd.DataFrame, power: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``wells`` and ``power`` with every confirmed link applied, for the ledger to join on the meter.

    A linked account's records take its well's 电能表编号 (or :func:`account_key` when the well has none, which
    the well then carries, counted 以电折水); records whose meter a well carries are left as they are.
    """
    links = links_frame(store)
    if links.empty or power.empty:
        return wells, power
    wells = wells.copy()
    power = power.copy()
    meter_of = dict(zip(wells["well_code"], wells["power_meter_no"], strict=True))
    own = set(v for v in meter_of.values() if v)
    key_of = {a: (meter_of.get(w) or account_key(a)) for a, w in zip(links["account"], links["well_code"], strict=True)
              if w in meter_of}
    for account, well in zip(links["account"], links["well_code"], strict=True):
        if well in meter_of and not meter_of[well]:
            i = wells.index[wells["well_code"] == well]
            wells.loc[i, "power_meter_no"] = account_key(account)
            wells.loc[i, "metering"] = wells.loc[i, "metering"].replace("", "electricity")
    take = ~power["meter_no"].isin(own) & power["account"].isin(key_of)
    power.loc[take, "meter_no"] = power.loc[take, "account"].map(key_of)
    return wells, power
