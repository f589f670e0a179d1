"""Folium map builders and the offline map assets.

The county network may have no internet, so:

* every JavaScript and CSS file a map needs is served by the app itself, copied
  from installed packages (:func:`install_static_assets`) and referenced by
  :func:`localize_assets`; a map that would need any other remote asset fails
  loudly instead of silently reaching for a CDN;
* the basemap is a setting; with ``none`` the boundaries and points still draw.

Many points are drawn as one canvas layer (:class:`CanvasPoints`) from a
compact array, not one marker each; text from data is HTML-escaped in Python
before it reaches the page.
"""

from __future__ import annotations

import html
import json
import logging
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from gwmap.errors import GwmapError

logger = logging.getLogger(__name__)

__all__ = [
    "Basemap", "CanvasPoints", "build_onemap", "localize_assets", "install_static_assets",
    "STATUS_COLORS", "USE_COLORS", "LEAD_COLORS", "SEALING_COLORS", "STATIC_PREFIX",
]

#: Where Streamlit serves the app's ``static/`` folder.
STATIC_PREFIX = "app/static/vendor"

STATUS_COLORS = {
    "in_use": "#2b83ba", "sealed_standby": "#fdae61", "filled": "#7f7f7f",
    "converted_monitoring": "#1a9641", "out_of_use": "#c2a5cf",
}
USE_COLORS = {
    "irrigation": "#66a61e", "industry": "#d95f02", "domestic": "#7570b3",
    "public_supply": "#1b9e77", "other": "#a6761d",
}
SEALING_COLORS = {"planned": "#fee08b", "works_done": "#fc8d59", "accepted": "#4d4d4d"}
LEAD_COLORS = {"open": "#e31a1c", "overdue": "#67000d", "closed": "#999999", "dismissed": "#cccccc"}
MONITORING_COLORS = {"shallow": "#00bcd4", "deep": "#3f51b5"}

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Basemap:
    """Basemap setting: ``none``, ``tianditu`` (with key), ``osm`` or ``custom`` (XYZ URL)."""

    kind: str = "none"
    tianditu_key: str = ""
    tile_url: str = ""


# ---------------------------------------------------------------- offline assets
def _leaflet_dir() -> Path:
    from xstatic.pkg import leaflet

    return Path(leaflet.BASE_DIR)


def install_static_assets(static_dir: Path) -> Path:
    """Copy Leaflet (from the installed ``xstatic-leaflet`` package) into ``static_dir/vendor``.

    Idempotent and cheap; the app calls it at start.  Returns the vendor folder.
    """
    src = _leaflet_dir()
    dest = Path(static_dir) / "vendor" / "leaflet"
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("leaflet.js", "leaflet.css"):
        target = dest / name
        if not target.exists() or target.stat().st_size != (src / name).stat().st_size:
            shutil.copyfile(src / name, target)
    shutil.copytree(src / "images", dest / "images", dirs_exist_ok=True)
    return dest.parent


#: Assets folium declares that gwmap replaces with local copies.
_LOCAL = {"leaflet": "leaflet/leaflet.js", "leaflet_css": "leaflet/leaflet.css"}
#: Assets folium declares by default that no gwmap map uses (awesome-markers, bootstrap, jQuery, fonts).
_UNUSED = {"jquery", "bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
           "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css"}


def _walk(element) -> Iterable:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def localize_assets(m: folium.Map, base_url: str = "/" + STATIC_PREFIX) -> folium.Map:
    """Point every JS/CSS asset of ``m`` at the app's own copies.

    Raises
    ------
    GwmapError
        If an element needs an asset gwmap does not ship (would need internet).

    """
    base = base_url.rstrip("/")
    for el in _walk(m):
        for attr in ("default_js", "default_css"):
            assets = getattr(el, attr, None)
            if not assets:
                continue
            local = []
            for name, url in assets:
                if name in _LOCAL:
                    local.append((name, f"{base}/{_LOCAL[name]}"))
                elif name not in _UNUSED:
                    raise GwmapError("err.map.remote_asset", f"Map element needs remote asset {name} ({url}).")
            setattr(el, attr, local)
    return m


# ---------------------------------------------------------------- layers
class CanvasPoints(folium.map.Layer):
    """Many points as one Leaflet canvas layer, with popups built on click.

    Parameters
    ----------
    name : str
        Layer name shown in the layer control.
    key : str
        Short id; the page exposes ``window.gwmapCounts[key]`` (points drawn).
    rows : list of lists
        ``[lon, lat, color_index, v3, v4, ...]``; string values must be escaped.
    colors : list of str
        Fill colour per ``color_index``.
    fields : list of (label, column)
        Popup rows; ``column`` indexes into a row.

    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var rows = {{ this.rows_json }};
            var colors = {{ this.colors_json }};
            var fields = {{ this.fields_json }};
            // points sit above the township polygons so a click reaches the well, not the township
            var map = {{ this._parent.get_name() }};
            if (!map.getPane("gwPoints")) { map.createPane("gwPoints").style.zIndex = 450; }
            // one shared canvas: stacked canvases would swallow each other's clicks
            var renderer = map.gwRenderer = map.gwRenderer || L.canvas({padding: 0.5, pane: "gwPoints"});
            var group = L.featureGroup();
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                var m = L.circleMarker([r[1], r[0]], {
                    renderer: renderer, pane: "gwPoints", radius: {{ this.radius }}, color: "{{ this.stroke }}",
                    weight: {{ this.weight }}, fillColor: colors[r[2]], fillOpacity: 0.9
                });
                m.gwRow = r;
                group.addLayer(m);
            }
            group.on("click", function (e) {
                var r = e.layer.gwRow, h = '<table class="gw-popup">';
                for (var j = 0; j < fields.length; j++) {
                    var v = r[fields[j][1]];
                    h += "<tr><th>" + fields[j][0] + "</th><td>" + (v === null || v === undefined ? "" : v) + "</td></tr>";
                }
                e.layer.bindPopup(h + "</table>").openPopup();
            });
            window.gwmapCounts = window.gwmapCounts || {};
            window.gwmapCounts["{{ this.key }}"] = rows.length;
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, *, name: str, key: str, rows: list, colors: Sequence[str], fields: Sequence[tuple[str, int]],
                 radius: float = 4, stroke: str = "#222", weight: float = 0.5, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "CanvasPoints"
        self.key = key
        self.rows_json = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        self.colors_json = json.dumps(list(colors))
        self.fields_json = json.dumps([[_esc(label), int(col)] for label, col in fields], ensure_ascii=False)
        self.radius, self.stroke, self.weight = float(radius), stroke, float(weight)


class _Legend(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "gw-legend");
                div.style.cssText = "background:rgba(255,255,255,.92);padding:6px 9px;border-radius:4px;" +
                    "font:12px/1.5 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);max-height:60vh;overflow:auto";
                div.innerHTML = {{ this.html_json }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]], note: str = "") -> None:
        super().__init__()
        parts = []
        for title, items in sections:
            parts.append(f"<b>{_esc(title)}</b><br>")
            for color, label in items:
                parts.append(f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
                             f'background:{color};margin-right:5px"></span>{_esc(label)}<br>')
        if note:
            parts.append(f'<i style="color:#b35806">{_esc(note)}</i>')
        self.html_json = json.dumps("".join(parts), ensure_ascii=False)


def _esc(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _num(value, digits: int = 1):
    if value is None or pd.isna(value):
        return None
    return round(float(value), digits)


# ---------------------------------------------------------------- the one-map
def _add_basemap(m: folium.Map, basemap: Basemap, tr: Translate) -> None:
    if basemap.kind == "osm":
        folium.TileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", attr="© OpenStreetMap contributors",
                         name=tr("map.basemap.osm"), max_zoom=19).add_to(m)
    elif basemap.kind == "tianditu" and basemap.tianditu_key:
        key = quote(basemap.tianditu_key, safe="")
        for layer, label in (("vec", tr("map.basemap.tianditu")), ("cva", tr("map.basemap.tianditu_labels"))):
            url = (f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                   f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
                   f"&TILECOL={{x}}&tk={key}")
            folium.TileLayer(url, attr="© 天地图", name=label, subdomains="01234567", max_zoom=18,
                             overlay=layer == "cva").add_to(m)
    elif basemap.kind == "custom" and basemap.tile_url:
        folium.TileLayer(basemap.tile_url, attr=tr("map.basemap.custom"), name=tr("map.basemap.custom")).add_to(m)


def build_onemap(
    *,
    townships: gpd.GeoDataFrame,
    wells: pd.DataFrame,
    sealings: pd.DataFrame,
    leads: pd.DataFrame,
    monitoring: pd.DataFrame,
    tr: Translate,
    basemap: Basemap = Basemap(),
    schematic: bool = False,
    focus_township: str | None = None,
    well_color_by: str = "status",
    asset_base: str = "/" + STATIC_PREFIX,
) -> folium.Map:
    """The one-map (一张图): townships, wells, sealings, leads and monitoring wells.

    Parameters
    ----------
    townships : GeoDataFrame
        ``code``, ``name``, geometry in WGS84.
    wells, sealings, leads, monitoring : DataFrame
        As returned by :mod:`gwmap.store.repo` (``lon``/``lat`` in WGS84).
        ``leads`` carries a boolean ``overdue`` column.
    tr : callable
        Translates a message key (``"map.layer.wells"``, ``"vocab.status.in_use"``...).
    focus_township : str, optional
        Township code to zoom to and highlight.
    well_color_by : {"status", "use"}

    """
    names = dict(zip(townships["code"], townships["name"]))
    m = folium.Map(tiles=None, control_scale=True, zoom_start=10,
                   location=[36.53, 115.5], attribution_control=True)
    _add_basemap(m, basemap, tr)

    # townships
    tw = townships[["code", "name", "geometry"]].copy()
    tw["label"] = tw["name"].map(_esc)
    tw["focus"] = tw["code"] == focus_township
    folium.GeoJson(
        tw[["code", "label", "focus", "geometry"]].to_json(),
        name=tr("map.layer.townships"),
        style_function=lambda f: {
            "color": "#d7301f" if f["properties"]["focus"] else "#555",
            "weight": 3 if f["properties"]["focus"] else 1.2,
            "fillColor": "#fdd49e" if f["properties"]["focus"] else "#f7f7f7",
            "fillOpacity": 0.35 if f["properties"]["focus"] else 0.15,
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=[_esc(tr("field.township"))]),
    ).add_to(m)
    labels = folium.FeatureGroup(name=tr("map.layer.township_names"), show=True)
    for _, row in townships.iterrows():
        p = row.geometry.representative_point()
        folium.Marker(
            [p.y, p.x],
            icon=folium.DivIcon(html=f'<div class="gw-tw-label" style="font:bold 13px sans-serif;color:#222;'
                                     f'white-space:nowrap;transform:translate(-50%,-50%);text-shadow:0 0 3px #fff">'
                                     f'{_esc(row["name"])}</div>', icon_size=(0, 0)),
        ).add_to(labels)
    labels.add_to(m)

    # registered wells, coloured by status or use
    palette = STATUS_COLORS if well_color_by == "status" else USE_COLORS
    cats = list(palette)
    cat_col = "status" if well_color_by == "status" else "use"
    w = wells
    rows = [
        [round(float(lon), 6), round(float(lat), 6), cats.index(c) if c in cats else 0, _esc(code), _esc(nm),
         _esc(owner), _esc(names.get(tc, tc)), _esc(tr(f"vocab.status.{st}")), _esc(tr(f"vocab.use.{u}")),
         _esc(tr(f"vocab.aquifer.{aq}")), _num(dep, 0), _esc(pn)]
        for lon, lat, c, code, nm, owner, tc, st, u, aq, dep, pn in zip(
            w["lon"], w["lat"], w[cat_col], w["well_code"], w["name"], w["owner"], w["township_code"],
            w["status"], w["use"], w["aquifer"], w["depth_m"], w["permit_no"])
    ]
    CanvasPoints(
        name=tr("map.layer.wells"), key="wells", rows=rows, colors=[palette[c] for c in cats],
        fields=[(tr("field.well_code"), 3), (tr("field.name"), 4), (tr("field.owner"), 5), (tr("field.township"), 6),
                (tr("field.status"), 7), (tr("field.use"), 8), (tr("field.aquifer"), 9), (tr("field.depth_m"), 10),
                (tr("field.permit_no"), 11)],
        radius=3,
    ).add_to(m)

    # sealings
    s_cats = list(SEALING_COLORS)
    s_rows = [
        [round(float(lon), 6), round(float(lat), 6), s_cats.index(stg), _esc(code), _esc(owner),
         _esc(tr(f"vocab.disposition.{disp}")), _esc(tr(f"vocab.sealing_stage.{stg}")), int(yr), _num(cut, 0)]
        for lon, lat, stg, code, owner, disp, yr, cut in zip(
            sealings["lon"], sealings["lat"], sealings["stage"], sealings["well_code"], sealings["owner"],
            sealings["disposition"], sealings["plan_year"], sealings["cut_m3_per_year"])
    ]
    CanvasPoints(
        name=tr("map.layer.sealings"), key="sealings", rows=s_rows, colors=list(SEALING_COLORS.values()),
        fields=[(tr("field.well_code"), 3), (tr("field.owner"), 4), (tr("field.disposition"), 5),
                (tr("field.stage"), 6), (tr("field.plan_year"), 7), (tr("field.cut_m3_per_year"), 8)],
        radius=6, stroke="#000", weight=1.5,
    ).add_to(m)

    # leads
    l_cats = list(LEAD_COLORS)

    def lead_cat(stage: str, overdue: bool) -> int:
        if overdue:
            return l_cats.index("overdue")
        return l_cats.index(stage if stage in ("closed", "dismissed") else "open")

    l_rows = [
        [round(float(lon), 6), round(float(lat), 6), lead_cat(stg, bool(od)), _esc(code),
         _esc(tr(f"vocab.lead_source.{src}")), _esc(tr(f"vocab.lead_stage.{stg}")), _esc(desc),
         _esc(names.get(tc, tc)), _esc(reg), _esc(dl) if dl is not None and not pd.isna(dl) else ""]
        for lon, lat, stg, od, code, src, desc, tc, reg, dl in zip(
            leads["lon"], leads["lat"], leads["stage"], leads["overdue"], leads["lead_code"], leads["source"],
            leads["description"], leads["township_code"], leads["registered_on"], leads["rectify_deadline"])
    ]
    CanvasPoints(
        name=tr("map.layer.leads"), key="leads", rows=l_rows, colors=list(LEAD_COLORS.values()),
        fields=[(tr("field.lead_code"), 3), (tr("field.source"), 4), (tr("field.stage"), 5),
                (tr("field.description"), 6), (tr("field.township"), 7), (tr("field.registered_on"), 8),
                (tr("field.rectify_deadline"), 9)],
        radius=6, stroke="#fff", weight=1.5,
    ).add_to(m)

    # monitoring wells
    m_cats = list(MONITORING_COLORS)
    m_rows = [
        [round(float(lon), 6), round(float(lat), 6), m_cats.index(aq), _esc(code), _esc(nm),
         _esc(tr(f"vocab.aquifer.{aq}")), _num(ge, 2)]
        for lon, lat, aq, code, nm, ge in zip(monitoring["lon"], monitoring["lat"], monitoring["aquifer"],
                                              monitoring["mw_code"], monitoring["name"], monitoring["ground_elev_m"])
    ]
    CanvasPoints(
        name=tr("map.layer.monitoring"), key="monitoring", rows=m_rows, colors=list(MONITORING_COLORS.values()),
        fields=[(tr("field.mw_code"), 3), (tr("field.name"), 4), (tr("field.aquifer"), 5),
                (tr("field.ground_elev_m"), 6)],
        radius=5, stroke="#fff", weight=2,
    ).add_to(m)

    legend = [
        (tr(f"map.legend.wells_by_{well_color_by}"),
         [(palette[c], tr(f"vocab.{cat_col}.{c}")) for c in cats]),
        (tr("map.layer.sealings"), [(v, tr(f"vocab.sealing_stage.{k}")) for k, v in SEALING_COLORS.items()]),
        (tr("map.layer.leads"), [(v, tr(f"map.legend.lead.{k}")) for k, v in LEAD_COLORS.items()]),
        (tr("map.layer.monitoring"), [(v, tr(f"vocab.aquifer.{k}")) for k, v in MONITORING_COLORS.items()]),
    ]
    m.add_child(_Legend(legend, note=tr("map.schematic") if schematic else ""))
    folium.LayerControl(collapsed=False).add_to(m)

    focus = townships[townships["code"] == focus_township] if focus_township else townships
    minx, miny, maxx, maxy = (focus if len(focus) else townships).total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return localize_assets(m, asset_base)
