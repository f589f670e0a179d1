"""Maps on a page: streamlit-folium's component, with the map rendered once and reused by every session.

``st_folium`` renders the whole folium map to HTML and JavaScript on every run of every session: for the
one-map (townships, their labels, leads, sealings, monitoring wells, the well grid) that is 0.3–0.4 s of
CPU per click, the largest single cost when 30 people use the app at once (py-spy over
``bench/bench_users.py``).  Here the same strings are made once by :func:`render` (the steps of
``st_folium`` 0.27.4, under a lock, since they rewrite the map's element ids) and kept in a cache keyed by
what the map shows; :func:`show` hands them to the same component.  ``tests/ui/test_mapview.py`` checks
that the component receives exactly what ``st_folium`` would send, so an upgrade that changes
streamlit-folium's steps fails a test instead of drawing a broken map.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import streamlit as st

__all__ = ["RenderedMap", "render", "show"]

_LOCK = threading.Lock()


@dataclass(frozen=True)
class RenderedMap:
    """What the streamlit-folium component draws: plain strings and numbers (cacheable, picklable)."""

    script: str
    header: str
    html: str
    map_id: str
    bounds: dict
    zoom: object
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]


def render(fig) -> RenderedMap:
    """Render a folium map as ``st_folium`` does before it calls its component."""
    import branca
    import folium
    import streamlit_folium as sf

    with _LOCK:
        fig.get_root().render()
        fig.render()
        html = sf._get_html(fig)
        header = sf._get_header(fig)
        script = sf._get_map_string(fig)
        map_id = sf.get_full_id(fig)
        try:
            (south, west), (north, east) = fig.get_bounds()
        except (AttributeError, TypeError, ValueError):
            south = west = north = east = None
        css, js = [], []

        def walk(el):
            if isinstance(el, branca.colormap.ColorMap):
                yield el
            if isinstance(el, folium.elements.JSCSSMixin):
                yield el
            for child in getattr(el, "_children", {}).values():
                yield from walk(child)

        for el in walk(fig):
            if isinstance(el, branca.colormap.ColorMap):  # st_folium would add d3 from a CDN: gwmap never does
                raise ValueError("gwmap maps carry no branca colormap (it needs d3 from the internet)")
            css.extend(href for _, href in getattr(el, "default_css", []))
            js.extend(src for _, src in getattr(el, "default_js", []))
        zoom = fig.options.get("zoom") if hasattr(fig, "options") else {}
    return RenderedMap(script, header, html, map_id,
                       {"_southWest": {"lat": south, "lng": west}, "_northEast": {"lat": north, "lng": east}},
                       zoom, tuple(dict.fromkeys(css)), tuple(dict.fromkeys(js)))


def show(rendered: RenderedMap, *, key: str | None = None, height: int = 700,
         returned_objects: Iterable[str] | None = None, use_container_width: bool = True):
    """Draw a rendered map: the same component, arguments and return value as ``st_folium``."""
    import streamlit_folium as sf

    returned = list(returned_objects) if returned_objects is not None else None
    everything = {
        "last_clicked": None, "last_object_clicked": None, "last_object_clicked_count": None,
        "last_object_clicked_tooltip": None, "last_object_clicked_popup": None, "all_drawings": None,
        "last_active_drawing": None, "bounds": rendered.bounds, "zoom": rendered.zoom, "last_circle_radius": None,
        "last_circle_polygon": None, "selected_layers": None, "selected_tags": None, "last_geocoder_result": None,
    }
    defaults = {k: v for k, v in everything.items() if returned is None or k in returned}
    hash_key = sf.generate_js_hash(rendered.script, key, False)

    def on_change():
        if key is not None:
            st.session_state[key] = st.session_state.get(hash_key, {})

    return sf._component_func(
        script=rendered.script, header=rendered.header, html=rendered.html, id=rendered.map_id, key=hash_key,
        height=height, width=None if use_container_width else 500, returned_objects=returned, default=defaults,
        zoom=None, center=None, feature_group=None, return_on_hover=False, layer_control=None, pixelated=False,
        css_links=list(rendered.css_links), js_links=list(rendered.js_links), on_change=on_change,
        wrap_longitude=False,
    )
