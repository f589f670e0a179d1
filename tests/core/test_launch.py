"""Starting the app asks nothing of the internet (Streamlit's external-IP lookup is off)."""


def test_streamlit_makes_no_outside_request(monkeypatch):
    from streamlit import net_util
    from streamlit.web.server import server_util

    from gwmap.ui.launch import no_outside_lookups

    asked = []
    monkeypatch.setattr(net_util, "_make_blocking_http_get", lambda url, timeout=None: asked.append(url))
    monkeypatch.setattr(net_util, "get_external_ip", net_util.get_external_ip)  # restored after the test
    monkeypatch.setattr(net_util, "_external_ip", None)
    net_util.get_external_ip()
    assert asked and all("checkip.amazonaws.com" in u for u in asked)  # what Streamlit does when headless
    asked.clear()
    monkeypatch.setattr(net_util, "_external_ip", None)
    no_outside_lookups()
    assert net_util.get_external_ip() is None
    server_util.is_url_from_allowed_origins("http://10.1.2.3:8501")  # an Origin it does not know
    assert asked == []
