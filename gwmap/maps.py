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
import math
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
    "Basemap", "CanvasPoints", "build_onemap", "build_level_change_map", "LEVEL_COLOURS", "localize_assets",
    "install_static_assets",
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
                    renderer: renderer, pane: "gwPoints",
                    radius: {% if this.radius_col is not none %}r[{{ this.radius_col }}]{% else %}{{ this.radius }}{% endif %},
                    color: "{{ this.stroke }}",
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
                 radius: float = 4, stroke: str = "#222", weight: float = 0.5, show: bool = True,
                 radius_col: int | None = None) -> None:
        """``radius_col``: the row column holding each point's radius in pixels (else ``radius`` for all)."""
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "CanvasPoints"
        self.key = key
        self.rows_json = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        self.colors_json = json.dumps(list(colors))
        self.fields_json = json.dumps([[_esc(label), int(col)] for label, col in fields], ensure_ascii=False)
        self.radius, self.stroke, self.weight = float(radius), stroke, float(weight)
        self.radius_col = None if radius_col is None else int(radius_col)


class _Legend(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            // bottom left, under the scale bar; the layer control keeps the top right: the two never meet
            // (the legend takes at most 40% of the map's height, the layer list at most 55%)
            var map = {{ this._parent.get_name() }};
            var legend = L.control({position: "bottomleft"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "gw-legend");
                div.style.cssText = "background:rgba(255,255,255,.92);padding:6px 9px;border-radius:4px;" +
                    "font:12px/1.5 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);overflow:auto";
                div.innerHTML = {{ this.html_json }};
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo(map);
            function fit() {
                var h = map.getSize().y;
                legend.getContainer().style.maxHeight = Math.floor(0.4 * h) + "px";
                document.querySelectorAll(".leaflet-control-layers-list").forEach(function (el) {
                    el.style.maxHeight = Math.floor(0.55 * h) + "px";
                    el.style.overflowY = "auto";
                });
            }
            map.whenReady(function () { setTimeout(fit, 0); });
            map.on("resize", fit);
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


def _wells_layer(w: pd.DataFrame, names: dict, tr: Translate, color_by: str = "status", *,
                 key: str = "wells") -> tuple[CanvasPoints, dict, list, str]:
    """Registered wells as one canvas layer coloured by status or use; also (palette, categories, column)."""
    palette = STATUS_COLORS if color_by == "status" else USE_COLORS
    cats = list(palette)
    cat_col = "status" if color_by == "status" else "use"
    rows = [
        [round(float(lon), 6), round(float(lat), 6), cats.index(c) if c in cats else 0, _esc(code), _esc(nm),
         _esc(owner), _esc(names.get(tc, tc)), _esc(tr(f"vocab.status.{st}")), _esc(tr(f"vocab.use.{u}")),
         _esc(tr(f"vocab.aquifer.{aq}")), _num(dep, 0), _esc(pn)]
        for lon, lat, c, code, nm, owner, tc, st, u, aq, dep, pn in zip(
            w["lon"], w["lat"], w[cat_col], w["well_code"], w["name"], w["owner"], w["township_code"],
            w["status"], w["use"], w["aquifer"], w["depth_m"], w["permit_no"])
    ]
    layer = CanvasPoints(
        name=tr("map.layer.wells"), key=key, rows=rows, colors=[palette[c] for c in cats],
        fields=[(tr("field.well_code"), 3), (tr("field.name"), 4), (tr("field.owner"), 5), (tr("field.township"), 6),
                (tr("field.status"), 7), (tr("field.use"), 8), (tr("field.aquifer"), 9), (tr("field.depth_m"), 10),
                (tr("field.permit_no"), 11)],
        radius=3,
    )
    return layer, palette, cats, cat_col


def build_wells_map(wells: pd.DataFrame, *, townships: gpd.GeoDataFrame, tr: Translate, color_by: str = "status",
                    basemap: Basemap = Basemap(), asset_base: str = "/" + STATIC_PREFIX) -> folium.Map:
    """The wells of a filtered registry over the townships, with a legend."""
    m = _base_map(townships, tr, basemap)
    names = dict(zip(townships["code"], townships["name"]))
    layer, palette, cats, cat_col = _wells_layer(wells, names, tr, color_by)
    layer.add_to(m)
    m.add_child(_Legend([(tr(f"map.legend.wells_by_{color_by}"), [(palette[c], tr(f"vocab.{cat_col}.{c}"))
                                                                  for c in cats])]))
    if len(wells):
        m.fit_bounds([[wells["lat"].min(), wells["lon"].min()], [wells["lat"].max(), wells["lon"].max()]])
    folium.LayerControl(collapsed=False).add_to(m)
    return localize_assets(m, asset_base)


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
    grid: tuple[pd.DataFrame, float] | None = None,
    view: tuple[float, float, int] | None = None,
    reclaimed: dict | None = None,
    zones: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """The one-map (一张图): townships, wells, sealings, leads and monitoring wells; reclaimed water.

    ``reclaimed`` (from :func:`gwmap.reclaimed.map_layers`) adds the plants sized by the sewage they treated
    in the last twelve months, the pipelines with their spare capacity, and the users.

    With ``grid`` (from :func:`gwmap.registry.well_grid`: cells and their size) the wells show
    as counts per grid cell instead of one by one (a view with too many to draw); ``view``
    (lat, lon, zoom) keeps the map where the user left it, instead of fitting the township.

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
    m = _new_map(tr, basemap)

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
    legend_zones = _zones_layer(m, zones, tr) if zones is not None and len(zones) else None

    if grid is not None:
        grid_layer, grid_legend = _grid_layer(*grid, tr)
        grid_layer.add_to(m)
        palette, cats, cat_col = {}, [], "status"
    else:
        layer, palette, cats, cat_col = _wells_layer(wells, names, tr, well_color_by)
        layer.add_to(m)
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

    if reclaimed is not None:
        legend_rw = _reclaimed_layers(m, reclaimed, tr)
    legend = [
        grid_legend if grid is not None else (tr(f"map.legend.wells_by_{well_color_by}"),
                                              [(palette[c], tr(f"vocab.{cat_col}.{c}")) for c in cats]),
        (tr("map.layer.sealings"), [(v, tr(f"vocab.sealing_stage.{k}")) for k, v in SEALING_COLORS.items()]),
        (tr("map.layer.leads"), [(v, tr(f"map.legend.lead.{k}")) for k, v in LEAD_COLORS.items()]),
        (tr("map.layer.monitoring"), [(v, tr(f"vocab.aquifer.{k}")) for k, v in MONITORING_COLORS.items()]),
    ]
    if reclaimed is not None:
        legend.append(legend_rw)
    if legend_zones is not None:
        legend.append(legend_zones)
    m.add_child(_Legend(legend, note=tr("map.schematic") if schematic else ""))
    folium.LayerControl(collapsed=False).add_to(m)

    if view is not None:
        m.location, m.options["zoom"] = [view[0], view[1]], int(view[2])
    else:
        focus = townships[townships["code"] == focus_township] if focus_township else townships
        minx, miny, maxx, maxy = (focus if len(focus) else townships).total_bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    return localize_assets(m, asset_base)


#: Over-extraction zones: severe red, general orange (both see-through, dashed, under every point).
ZONE_COLOURS = {"severe": "#d7301f", "general": "#fdae61"}


def _zones_layer(m: folium.Map, zones: gpd.GeoDataFrame, tr: Translate) -> tuple:
    """The current over-extraction zones as one layer (severe drawn over general), and their legend entry."""
    z = zones.iloc[::-1].copy()  # general first: severe on top
    z["label"] = [_esc(tr("zone.popup").format(name=n, grade=tr(f"zone.{g}"), area=f"{a:,.1f}"))
                  for n, g, a in zip(z["name"], z["grade"], z["area_km2"], strict=True)]
    folium.GeoJson(
        z[["grade", "label", "geometry"]].to_json(), name=tr("map.layer.zones"),
        style_function=lambda f: {"color": ZONE_COLOURS.get(f["properties"]["grade"], "#999"), "weight": 2,
                                  "dashArray": "6 4", "fillColor": ZONE_COLOURS.get(f["properties"]["grade"], "#999"),
                                  "fillOpacity": 0.18},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(m)
    areas = {g: float(zones.loc[zones["grade"] == g, "area_km2"].sum()) for g in ZONE_COLOURS}
    return (tr("map.layer.zones"), [(c, f"{tr(f'zone.{g}')} {areas[g]:,.1f} km²") for g, c in ZONE_COLOURS.items()
                                    if areas[g] > 0])


PIPELINE_COLOR = "#0571b0"
PLANT_COLOR = "#7b3294"
RECLAIMED_USER_COLORS = {"industry": "#e66101", "greening": "#4dac26", "road_cleaning": "#878787",
                         "ecological": "#0571b0"}


def _reclaimed_layers(m: folium.Map, layers: dict, tr: Translate) -> tuple:
    """Pipelines (lines), plants (sized by sewage treated) and users (by use) on ``m``; the legend entry."""
    pipes = layers["pipelines"]
    if len(pipes):
        gj = pipes[["name", "capacity_m3_d", "spare_m3_d", "geometry"]].copy()
        gj["label"] = gj["name"].map(_esc)
        gj["capacity"] = gj["capacity_m3_d"].map(lambda v: f"{v:,.0f}")
        gj["spare"] = gj["spare_m3_d"].map(lambda v: f"{v:,.0f}")
        folium.GeoJson(gj[["label", "capacity", "spare", "geometry"]].to_json(), name=tr("map.layer.pipelines"),
                       style_function=lambda f: {"color": PIPELINE_COLOR, "weight": 4, "opacity": 0.85},
                       tooltip=folium.GeoJsonTooltip(fields=["label", "capacity", "spare"], aliases=[
                           _esc(tr("field.name")), _esc(tr("field.capacity_m3_d")), _esc(tr("map.spare_m3_d"))])
                       ).add_to(m)
    plants = layers["plants"]
    top = float(plants["treated_12m_m3"].max()) if len(plants) and plants["treated_12m_m3"].max() > 0 else 1.0
    rows = [[round(float(r.lon), 6), round(float(r.lat), 6), 0, _esc(r.name), _esc(tr(f"vocab.plant_kind.{r.kind}")),
             f"{r.capacity_t_d:,.0f}", f"{r.treated_12m_m3:,.0f}", round(6 + 12 * math.sqrt(r.treated_12m_m3 / top), 1)]
            for r in plants.itertuples()]
    CanvasPoints(name=tr("map.layer.plants"), key="plants", rows=rows, colors=[PLANT_COLOR],
                 fields=[(tr("field.name"), 3), (tr("map.plant_kind"), 4), (tr("field.capacity_t_d"), 5),
                         (tr("map.treated_12m"), 6)], stroke="#fff", weight=2, radius_col=7).add_to(m)
    users = layers["users"]
    cats = list(RECLAIMED_USER_COLORS)
    rows = [[round(float(r.lon), 6), round(float(r.lat), 6), cats.index(r.use), _esc(r.name),
             _esc(tr(f"vocab.reclaimed_use.{r.use}")), f"{r.m3_12m:,.0f}"] for r in users.itertuples()]
    CanvasPoints(name=tr("map.layer.reclaimed_users"), key="reclaimed_users", rows=rows,
                 colors=list(RECLAIMED_USER_COLORS.values()),
                 fields=[(tr("field.name"), 3), (tr("field.use"), 4), (tr("map.used_12m"), 5)], radius=6,
                 stroke="#fff", weight=1.5).add_to(m)
    return (tr("map.layer.reclaimed"), [(PLANT_COLOR, tr("map.layer.plants")), (PIPELINE_COLOR, tr("map.layer.pipelines"))]
            + [(v, tr(f"vocab.reclaimed_use.{k}")) for k, v in RECLAIMED_USER_COLORS.items()])


#: Fill colours of the well-count grid, light to dark (counts per cell, binned by quantiles).
GRID_COLORS = ["#fee8c8", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"]


def _grid_layer(cells: pd.DataFrame, step: float, tr: Translate) -> tuple[folium.GeoJson, tuple]:
    """Well counts per grid cell as shaded squares with a tooltip; and the legend's entry."""
    import math

    lat0 = float(cells["south"].mean()) if len(cells) else 0.0
    step_y = step * math.cos(math.radians(lat0))
    counts = cells["wells"].to_numpy()
    edges = sorted({int(round(v)) for v in np.quantile(counts, [0.2, 0.4, 0.6, 0.8])}) if len(cells) else []
    feats = []
    for w, sth, n, used, sealed in cells[["west", "south", "wells", "in_use", "sealed"]].itertuples(index=False):
        k = int(np.searchsorted(edges, n, side="left"))
        feats.append({"type": "Feature", "properties": {
            "fill": GRID_COLORS[min(k, len(GRID_COLORS) - 1)],
            "label": _esc(tr("map.grid.cell").format(n=f"{int(n):,}", in_use=f"{int(used):,}",
                                                      sealed=f"{int(sealed):,}"))},
            "geometry": {"type": "Polygon", "coordinates": [[
                [round(w, 6), round(sth, 6)], [round(w + step, 6), round(sth, 6)],
                [round(w + step, 6), round(sth + step_y, 6)], [round(w, 6), round(sth + step_y, 6)],
                [round(w, 6), round(sth, 6)]]]}})
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": feats}, name=tr("map.layer.well_grid"),
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.75, "weight": 0},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False))
    bounds = [0, *edges, int(counts.max()) if len(cells) else 0]
    legend = (tr("map.legend.well_grid"),
              [(GRID_COLORS[min(i, len(GRID_COLORS) - 1)], f"{bounds[i] + 1:,}–{bounds[i + 1]:,}")
               for i in range(len(bounds) - 1) if bounds[i + 1] >= bounds[i] + 1])
    return layer, legend


# ---------------------------------------------------------------- surfaces and cones
#: Colour stops of the surface ramp (viridis, reversed so deeper water reads darker).
RAMP = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"]


def _ramp_rgba(values: np.ndarray, vmin: float, vmax: float, opacity: float = 0.7) -> np.ndarray:
    stops = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in RAMP], dtype=float)
    t = np.clip((values - vmin) / max(vmax - vmin, 1e-9), 0, 1)
    pos = np.nan_to_num(t) * (len(RAMP) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(RAMP) - 2)
    frac = (pos - lo)[..., None]
    rgb = stops[lo] * (1 - frac) + stops[lo + 1] * frac
    alpha = np.where(np.isfinite(values), opacity * 255, 0)[..., None]
    return np.concatenate([np.nan_to_num(rgb), alpha], axis=-1).astype(np.uint8)


def _warp_to_mercator(values: np.ndarray, grid, crs, *, max_px: int = 1200) -> tuple[np.ndarray, list[list[float]]]:
    """Reproject a north-up grid to Web Mercator for a Leaflet image overlay; returns (array, bounds)."""
    from pyproj import Transformer
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    vals = values.astype("float32")
    ny, nx = vals.shape
    t = grid.transform
    left, top = t.c, t.f
    right, bottom = left + nx * t.a, top + ny * t.e
    dst_t, w, h = calculate_default_transform(crs.to_wkt(), "EPSG:3857", nx, ny, left, bottom, right, top)
    scale = max(1.0, max(w, h) / max_px)
    w, h = int(w / scale), int(h / scale)
    dst_t = dst_t @ dst_t.scale(scale, scale)
    out = np.full((h, w), np.nan, dtype="float32")
    reproject(vals, out, src_transform=t, src_crs=crs.to_wkt(), dst_transform=dst_t, dst_crs="EPSG:3857",
              resampling=Resampling.bilinear, src_nodata=np.nan, dst_nodata=np.nan)
    to_ll = Transformer.from_crs(3857, 4326, always_xy=True)
    west, north = to_ll.transform(dst_t.c, dst_t.f)
    east, south = to_ll.transform(dst_t.c + w * dst_t.a, dst_t.f + h * dst_t.e)
    return out, [[south, west], [north, east]]


def surface_overlay(surface, *, band: str = "value", max_px: int = 1200):
    """A surface band warped to Web Mercator as an RGBA image for a Leaflet image overlay.

    Leaflet stretches an overlay linearly in Web Mercator, so the grid (in a
    Gauss-Krüger plane, turned against north by the meridian convergence) is
    reprojected first.  ``band`` is ``value``, ``std`` (kriging standard
    deviation) or ``extrapolated`` (grey where extrapolated).  Returns
    (rgba, [[south, west], [north, east]], vmin, vmax).
    """
    if band == "extrapolated":
        src = np.where(np.isnan(surface.values), np.nan, surface.extrapolated.astype(float))
    else:
        src = surface.std if band == "std" else surface.values
    out, bounds = _warp_to_mercator(src, surface.grid, surface.crs, max_px=max_px)
    if band == "extrapolated":
        rgba = np.zeros(out.shape + (4,), dtype=np.uint8)
        rgba[..., :3] = 90
        rgba[..., 3] = np.where(np.nan_to_num(out) > 0.5, 110, 0)
        return rgba, bounds, 0.0, 1.0
    vmin, vmax = float(np.nanmin(src)), float(np.nanmax(src))
    return _ramp_rgba(out, vmin, vmax), bounds, vmin, vmax


class _MapFrame(MacroElement):
    """Leaflet's attribution prefix as plain text, and a metric-only scale bar.

    Leaflet 1.9's default prefix carries a flag drawn as an inline SVG, out of place on a government
    map; folium's scale bar adds miles, which no one here reads.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix("Leaflet");
        L.control.scale({imperial: false, metric: true}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


def _new_map(tr: Translate, basemap: Basemap) -> folium.Map:
    """An empty map of the county with the offline base map, a plain attribution and a metric scale bar."""
    from gwmap.county import active

    lon, lat = active().centre  # every map then fits itself to what it draws
    m = folium.Map(tiles=None, control_scale=False, zoom_start=10, location=[lat, lon], attribution_control=True)
    m.add_child(_MapFrame())
    _add_basemap(m, basemap, tr)
    return m


def _base_map(townships: gpd.GeoDataFrame, tr: Translate, basemap: Basemap) -> folium.Map:
    m = _new_map(tr, basemap)
    tw = townships[["code", "name", "geometry"]].copy()
    tw["label"] = tw["name"].map(_esc)
    folium.GeoJson(tw[["code", "label", "geometry"]].to_json(), name=tr("map.layer.townships"),
                   style_function=lambda f: {"color": "#555", "weight": 1, "fillOpacity": 0.0},
                   tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=[_esc(tr("field.township"))])).add_to(m)
    minx, miny, maxx, maxy = townships.total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def _ramp_legend(title: str, vmin: float, vmax: float, note: str = "") -> MacroElement:
    leg = _Legend([], note=note)
    grad = ",".join(RAMP)
    leg.html_json = json.dumps(
        f"<b>{_esc(title)}</b><br><div style=\"width:160px;height:10px;background:linear-gradient(to right,{grad})\">"
        f"</div><span style=\"float:left\">{vmin:.1f}</span><span style=\"float:right\">{vmax:.1f}</span>"
        f"<div style=\"clear:both\"></div>" + (f'<i style="color:#b35806">{_esc(note)}</i>' if note else ""),
        ensure_ascii=False)
    return leg


def build_surface_map(surface, *, townships: gpd.GeoDataFrame, wells: gpd.GeoDataFrame, value: str,
                      contours: gpd.GeoDataFrame | None, tr: Translate, basemap: Basemap = Basemap(),
                      asset_base: str = "/" + STATIC_PREFIX) -> folium.Map:
    """A coloured surface with labelled contours, the wells used, and a colour-bar legend."""
    m = _base_map(townships, tr, basemap)
    rgba, bounds, vmin, vmax = surface_overlay(surface)
    folium.raster_layers.ImageOverlay(rgba, bounds=bounds, name=tr("map.layer.surface"), mercator_project=False,
                                      interactive=False, zindex=2).add_to(m)
    if surface.std is not None:
        srgba, sb, smin, smax = surface_overlay(surface, band="std")
        folium.raster_layers.ImageOverlay(srgba, bounds=sb, name=tr("map.layer.kriging_std") + f" ({smin:.2f}–{smax:.2f} m)",
                                          mercator_project=False, interactive=False, zindex=3, show=False).add_to(m)
    ergba, eb, _, _ = surface_overlay(surface, band="extrapolated")
    folium.raster_layers.ImageOverlay(ergba, bounds=eb, name=tr("map.layer.extrapolated"), mercator_project=False,
                                      interactive=False, zindex=4).add_to(m)
    if contours is not None and len(contours):
        c = contours.to_crs(4326)
        c["label"] = c["level"].map(lambda v: f"{v:g} m")
        folium.GeoJson(c[["label", "geometry"]].to_json(), name=tr("map.layer.contours"),
                       style_function=lambda f: {"color": "#222", "weight": 1},
                       tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False)).add_to(m)
        labels = folium.FeatureGroup(name=tr("map.layer.contour_labels"))
        longest = c.assign(length=c.to_crs(surface.crs).length).sort_values("length").groupby("level").tail(1)
        for level, line in zip(longest["level"], longest.geometry):
            p = line.interpolate(0.5, normalized=True)
            folium.Marker([p.y, p.x], icon=folium.DivIcon(
                html=f'<div class="gw-contour-label" style="font:11px sans-serif;color:#111;white-space:nowrap;'
                     f'transform:translate(-50%,-50%);text-shadow:0 0 3px #fff,0 0 3px #fff">{float(level):g}</div>',
                icon_size=(0, 0))).add_to(labels)
        labels.add_to(m)
    rows = [[round(float(p.x), 6), round(float(p.y), 6), 0, _esc(code), _num(v, 2)]
            for p, code, v in zip(wells.geometry, wells["mw_code"], wells[value])]
    CanvasPoints(name=tr("map.layer.monitoring"), key="survey_wells", rows=rows, colors=["#ffffff"],
                 fields=[(tr("field.mw_code"), 3), (tr(f"field.{value}"), 4)], radius=4, stroke="#000",
                 weight=1).add_to(m)
    m.add_child(_ramp_legend(tr(f"field.{value}"), vmin, vmax, note=tr("map.extrapolated_note")))
    folium.LayerControl(collapsed=False).add_to(m)
    return localize_assets(m, asset_base)


def build_cone_map(cone, *, townships: gpd.GeoDataFrame, tr: Translate, basemap: Basemap = Basemap(),
                   surface=None, asset_base: str = "/" + STATIC_PREFIX,
                   zones: gpd.GeoDataFrame | None = None) -> folium.Map:
    """The cone outline over the townships, its deepest point, and (optionally) the surface under it.

    With ``zones``, the over-extraction zones the province designated, with their areas in the legend.
    """
    m = _base_map(townships, tr, basemap)
    if surface is not None:
        rgba, bounds, vmin, vmax = surface_overlay(surface)
        folium.raster_layers.ImageOverlay(rgba, bounds=bounds, name=tr("map.layer.surface"), mercator_project=False,
                                          interactive=False, zindex=2).add_to(m)
        m.add_child(_ramp_legend(tr("field.depth_to_water_m" if cone.kind == "depth" else "field.head_m"),
                                 vmin, vmax))
    if not cone.outline.is_empty:
        gj = gpd.GeoDataFrame({"label": [f"{cone.area_km2:.1f} km²"]}, geometry=[cone.outline], crs=4326)
        folium.GeoJson(gj.to_json(), name=tr("map.layer.cone"),
                       style_function=lambda f: {"color": "#b2182b", "weight": 2.5, "fillColor": "#ef8a62",
                                                 "fillOpacity": 0.35},
                       tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False)).add_to(m)
    CanvasPoints(name=tr("map.layer.extreme"), key="extreme",
                 rows=[[round(cone.extreme_lon, 6), round(cone.extreme_lat, 6), 0, _num(cone.extreme_value, 2)]],
                 colors=["#67001f"], fields=[(tr("field.extreme_value"), 3)], radius=7, stroke="#fff",
                 weight=2).add_to(m)
    if zones is not None and len(zones):
        m.add_child(_Legend([_zones_layer(m, zones, tr)]))
    folium.LayerControl(collapsed=False).add_to(m)
    return localize_assets(m, asset_base)


#: The three classes of a year-on-year change: rose (blue), held (green), fell (red), none the map's own grey.
LEVEL_COLOURS = {"rising": "#2166ac", "stable": "#7fbf7b", "falling": "#b2182b"}


def build_level_change_map(change, *, townships: gpd.GeoDataFrame, tr: Translate, basemap: Basemap = Basemap(),
                           asset_base: str = "/" + STATIC_PREFIX) -> folium.Map:
    """A year-on-year change (:class:`gwmap.levels.LevelChange`): the area rising / stable / falling, and the wells."""
    from gwmap.levels import CLASSES, classify

    m = _base_map(townships, tr, basemap)
    band = f"{change.band_m:g}"
    names = {c: tr(f"levels.class.{c}", band=band) for c in CLASSES}
    if change.surface is not None:
        out, bounds = _warp_to_mercator(change.surface.values, change.surface.grid, change.surface.crs)
        cls = classify(out.ravel(), change.band_m).reshape(out.shape)
        rgba = np.zeros(out.shape + (4,), dtype=np.uint8)
        for c, colour in LEVEL_COLOURS.items():
            rgba[cls == c] = [int(colour[i:i + 2], 16) for i in (1, 3, 5)] + [150]
        folium.raster_layers.ImageOverlay(rgba, bounds=bounds, name=tr("levels.layer.area"), mercator_project=False,
                                          interactive=False, zindex=2).add_to(m)
    index = {c: i for i, c in enumerate(CLASSES)}
    w = change.wells
    rows = [[round(float(x), 6), round(float(y), 6), index[c], _esc(code), _num(rise, 2)]
            for x, y, c, code, rise in zip(w["lon"], w["lat"], w["class"], w["mw_code"], w["rise_m"], strict=True)]
    CanvasPoints(name=tr("levels.layer.wells"), key="levels", rows=rows, colors=list(LEVEL_COLOURS.values()),
                 fields=[(tr("field.mw_code"), 3), (tr("levels.col.rise_m"), 4)], radius=6, stroke="#333",
                 weight=1).add_to(m)
    m.add_child(_Legend([(tr("levels.legend"), [(LEVEL_COLOURS[c], names[c]) for c in CLASSES])]))
    folium.LayerControl(collapsed=False).add_to(m)
    return localize_assets(m, asset_base)


def build_survey_preview(rows: pd.DataFrame, *, townships: gpd.GeoDataFrame, tr: Translate,
                         basemap: Basemap = Basemap(), asset_base: str = "/" + STATIC_PREFIX) -> folium.Map:
    """A checked survey before import: readings blue, flagged orange, new wells red."""
    m = _base_map(townships, tr, basemap)
    pv = rows.dropna(subset=["lon", "lat"])
    pts = [[round(float(r.lon), 6), round(float(r.lat), 6), 2 if r.new_well else (1 if r.flag else 0), _esc(r.mw_code),
            _num(r.depth_to_water_m, 2), int(r.row)] for r in pv.itertuples()]
    colors = ["#2b83ba", "#fdae61", "#d7191c"]
    CanvasPoints(name=tr("surveys.preview_layer"), key="preview", rows=pts, colors=colors,
                 fields=[(tr("field.mw_code"), 3), (tr("field.depth_to_water_m"), 4), (tr("surveys.problem.row"), 5)],
                 radius=5).add_to(m)
    m.add_child(_Legend([(tr("surveys.preview_layer"), list(zip(colors, [tr("surveys.preview_ok"),
                                                                   tr("surveys.preview_flag"),
                                                                   tr("surveys.preview_new")], strict=True)))]))
    return localize_assets(m, asset_base)


def build_leads_map(leads: pd.DataFrame, *, townships: gpd.GeoDataFrame, tr: Translate, pick: tuple | None = None,
                    basemap: Basemap = Basemap(), asset_base: str = "/" + STATIC_PREFIX) -> folium.Map:
    """Leads by state (open, overdue, closed, dismissed); ``pick`` marks the spot chosen for a new lead."""
    m = _base_map(townships, tr, basemap)
    names = dict(zip(townships["code"], townships["name"]))
    cats = list(LEAD_COLORS)
    rows = [[round(float(r.lon), 6), round(float(r.lat), 6),
             cats.index("overdue") if r.overdue else cats.index(r.stage if r.stage in ("closed", "dismissed") else "open"),
             _esc(r.lead_code), _esc(tr(f"vocab.lead_stage.{r.stage}")), _esc(r.description),
             _esc(names.get(r.township_code, ""))] for r in leads.itertuples()]
    CanvasPoints(name=tr("map.layer.leads"), key="leads", rows=rows, colors=list(LEAD_COLORS.values()),
                 fields=[(tr("field.lead_code"), 3), (tr("field.stage"), 4), (tr("field.description"), 5),
                         (tr("field.township"), 6)], radius=7, stroke="#fff", weight=1.5).add_to(m)
    if pick is not None:
        CanvasPoints(name=tr("leads.picked"), key="pick", rows=[[round(pick[0], 6), round(pick[1], 6), 0]],
                     colors=["#ffff00"], fields=[], radius=9, stroke="#000", weight=2.5).add_to(m)
    m.add_child(_Legend([(tr("map.layer.leads"), [(v, tr(f"map.legend.lead.{k}")) for k, v in LEAD_COLORS.items()])]))
    folium.LayerControl(collapsed=False).add_to(m)
    return localize_assets(m, asset_base)


SOURCE_COLORS = {"metered": "#1a9850", "electricity": "#2b83ba", "quota": "#fdae61"}
#: wells drawn on the abstraction map at most (the largest first); all are in the table and the Excel file
ABSTRACTION_MAP_MAX = 5000


def build_abstraction_map(wells: pd.DataFrame, *, townships: gpd.GeoDataFrame, tr: Translate,
                          basemap: Basemap = Basemap(), asset_base: str = "/" + STATIC_PREFIX) -> folium.Map:
    """Wells sized by the year's abstraction (area ∝ m³) and coloured by their main source.

    ``wells``: :attr:`gwmap.ledger.YearLedger.wells` (``m3`` and ``m3_<source>`` per well), largest first.
    """
    m = _base_map(townships, tr, basemap)
    names = dict(zip(townships["code"], townships["name"]))
    w = wells[wells["m3"] > 0].head(ABSTRACTION_MAP_MAX)
    top = float(w["m3"].max()) if len(w) else 1.0
    cats = list(SOURCE_COLORS)
    main = w[[f"m3_{c}" for c in cats]].to_numpy().argmax(axis=1) if len(w) else []
    rows = [[round(float(r.lon), 6), round(float(r.lat), 6), int(k), _esc(r.well_code),
             f"{r.m3:,.0f}", _esc(tr(f"abs.source.{cats[k]}")),
             "" if pd.isna(r.coefficient) else f"{r.coefficient:.2f}",
             _esc(names.get(r.township_code, "")), round(1.5 + 7.5 * math.sqrt(r.m3 / top), 1)]
            for r, k in zip(w.itertuples(), main, strict=True)]
    CanvasPoints(name=tr("abs.map_title"), key="abstraction", rows=rows, colors=list(SOURCE_COLORS.values()),
                 fields=[(tr("field.well_code"), 3), (tr("abs.col.m3"), 4), (tr("abs.col.source"), 5),
                         (tr("abs.col.coefficient"), 6), (tr("field.township"), 7)],
                 stroke="#333", weight=0.5, radius_col=8).add_to(m)
    m.add_child(_Legend([(tr("abs.col.source"), [(v, tr(f"abs.source.{k}")) for k, v in SOURCE_COLORS.items()])]))
    return localize_assets(m, asset_base)


VERDICT_COLORS = {"limit": "#d7191c", "ok": "#1a9641"}


def build_reclaimed_map(layers: dict, permits: list[dict], *, townships: gpd.GeoDataFrame, tr: Translate,
                        site: tuple[float, float] | None = None, basemap: Basemap = Basemap(),
                        asset_base: str = "/" + STATIC_PREFIX) -> folium.Map:
    """The reclaimed-water system with the permit holders coloured by the screening's verdict.

    ``site`` marks a candidate site the user clicked (its verdict is shown beside the map).
    """
    m = _base_map(townships, tr, basemap)
    legend_rw = _reclaimed_layers(m, layers, tr)
    cats = list(VERDICT_COLORS)
    rows = [[round(float(r["lon"]), 6), round(float(r["lat"]), 6), cats.index(r["verdict"]), _esc(r["user"]),
             _esc(tr(f"vocab.industry.{r['industry']}")), _esc(r["permit_no"]), f"{r['permit_m3']:,.0f}",
             _esc(r["expires"] or ""), "" if r["distance_to_network_m"] is None else f"{r['distance_to_network_m']:,.0f}",
             _esc(tr(f"permits.verdict.{r['verdict']}"))] for r in permits]
    CanvasPoints(name=tr("map.layer.water_users"), key="water_users", rows=rows, colors=list(VERDICT_COLORS.values()),
                 fields=[(tr("permits.col.user"), 3), (tr("field.industry"), 4), (tr("field.permit_no"), 5),
                         (tr("field.permit_m3_per_year"), 6), (tr("field.permit_expires"), 7),
                         (tr("permits.col.distance"), 8), (tr("permits.col.verdict"), 9)],
                 radius=7, stroke="#000", weight=1.5).add_to(m)
    if site is not None:
        CanvasPoints(name=tr("permits.site"), key="site", rows=[[round(site[0], 6), round(site[1], 6), 0]],
                     colors=["#ffff00"], fields=[], radius=9, stroke="#000", weight=2.5).add_to(m)
    m.add_child(_Legend([legend_rw, (tr("map.layer.water_users"),
                                     [(v, tr(f"permits.verdict.{k}")) for k, v in VERDICT_COLORS.items()])]))
    folium.LayerControl(collapsed=False).add_to(m)
    return localize_assets(m, asset_base)


TEAM_COLORS = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628"]


def build_route_map(stops: pd.DataFrame, *, start: tuple[float, float], townships: gpd.GeoDataFrame,
                    tr: Translate, basemap: Basemap = Basemap(), asset_base: str = "/" + STATIC_PREFIX) -> folium.Map:
    """Each team's route as a coloured line with numbered stops (labels escaped)."""
    m = _base_map(townships, tr, basemap)
    for team, grp in stops.groupby("team"):
        color = TEAM_COLORS[(int(team) - 1) % len(TEAM_COLORS)]
        fg = folium.FeatureGroup(name=f"{tr('route.team')} {int(team)}")
        path = [[start[1], start[0]]] + [[r.lat, r.lon] for r in grp.itertuples()] + [[start[1], start[0]]]
        folium.PolyLine(path, color=color, weight=3, opacity=0.8).add_to(fg)
        for r in grp.itertuples():
            folium.Marker([r.lat, r.lon], icon=folium.DivIcon(
                html=f'<div class="gw-stop" style="background:{color};color:#fff;border-radius:50%;width:20px;height:20px;'
                     f'line-height:20px;text-align:center;font:bold 11px sans-serif;transform:translate(-50%,-50%)">'
                     f'{int(r.seq)}</div>', icon_size=(0, 0)),
                tooltip=_esc(f"{tr('route.team')} {int(team)}-{int(r.seq)} {r.arrival} {r.ref} {r.label}")).add_to(fg)
        fg.add_to(m)
    folium.Marker([start[1], start[0]], icon=folium.DivIcon(
        html='<div style="font-size:20px;transform:translate(-50%,-50%)">★</div>', icon_size=(0, 0)),
        tooltip=_esc(tr("route.start"))).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return localize_assets(m, asset_base)
