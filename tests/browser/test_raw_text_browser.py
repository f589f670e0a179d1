"""Every page in Chinese, and the widget-rich ones in English, as an administrator sees them: nothing raw.

No "None"/"NaN", no Streamlit English in the Chinese UI ("Choose an option", "Upload",
"200MB per file"), no stored codes (2026-autumn, shallow, kriging) and no developer text
(dicts, tracebacks).  Tables are drawn on a canvas and checked by the AppTest tests.
"""

import re

import pytest

from tests.browser.conftest import OUTPUT, sign_in

pytestmark = pytest.mark.browser

PATHS = ["dashboard", "onemap", "leads", "routes", "sealing", "registry", "surveys", "surface", "cone",
         "boundaries", "accounts", "audit"]
#: In English, the pages with Streamlit's own widgets of every kind (select boxes, uploaders, tables, forms);
#: every page's English catalog texts are checked by tests/ui/test_english.py.
EN_PATHS = ["dashboard", "registry", "surveys", "leads"]
RAW = re.compile(r"\bNone\b|\bNaN\b|\bnan\b|Traceback|Choose an option|\d{4}-(?:autumn|spring)\b"
                 r"|\b(?:depth_to_water_m|head_m|permit_state|gps_source)\b|variogram=|\{'|\"\w+\": ")
#: in the Chinese UI, stored codes and Streamlit's own English (in English, "shallow" or "kriging" are words)
ENGLISH_IN_ZH = re.compile(r"\bUpload\b|per file|Drag and drop|\bBrowse files\b|No options to select"
                           r"|\b(?:shallow|deep|kriging|idw|spherical|exponential|gaussian|registered|closed)\b")


def _settle(page) -> str:
    """The main area's text once the page has stopped running and its text no longer changes."""
    page.locator('[data-testid="stMain"]').wait_for(timeout=60_000)
    last = None
    for _ in range(120):
        page.wait_for_timeout(500)
        if page.locator('[data-testid="stStatusWidget"]').count():
            continue
        text = page.evaluate(VISIBLE_TEXT)
        if text == last:
            return text
        last = text
    return last or page.evaluate(VISIBLE_TEXT)


#: The text a person reads in the main area: not text hidden at font size 0 (under gwmap's overlays of the
#: uploader's English) and not icon names drawn by the Material Symbols font; plus text put in by CSS ::after.
VISIBLE_TEXT = r"""() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const style = getComputedStyle(el);
    if (parseFloat(style.fontSize) === 0 || style.visibility === 'hidden' || style.display === 'none') continue;
    if (/Material/.test(style.fontFamily)) continue;
    out.push(node.textContent);
  }
  for (const el of main.querySelectorAll('*')) {
    const after = getComputedStyle(el, '::after').content;
    if (after && after !== 'none' && after !== 'normal') out.push(after.replace(/^"|"$/g, ''));
  }
  return out.join('\n');
}"""


def _around(pattern, text: str) -> list[str]:
    """Each match with the text around it, to find where it came from."""
    return [text[max(m.start() - 60, 0):m.end() + 30].replace("\n", " | ") for m in pattern.finditer(text)]


def test_no_page_shows_raw_values_or_streamlit_english(page, server):
    sign_in(page, server, "admin", "gwmap-admin")
    page.get_by_text("冠县地下水超采治理情况").first.wait_for(timeout=120_000)
    seen = {}
    for lang in ("zh", "en"):
        if lang == "en":
            page.get_by_text("English").click()
            page.get_by_role("button", name="Sign out").wait_for(timeout=60_000)
        for path in PATHS if lang == "zh" else EN_PATHS:
            page.goto(f"{server}/{path}")  # a new session each time: the language comes back from its cookie
            text = _settle(page)
            # the sidebar in the language chosen (it may still be drawing when the main area has settled)
            sidebar = page.locator('[data-testid="stSidebar"]')
            sidebar.get_by_role("button", name="Sign out" if lang == "en" else "退出登录", exact=True).wait_for(timeout=30_000)
            assert ("Sign out" in page.locator('[data-testid="stSidebar"]').inner_text()) == (lang == "en"), path
            seen[(lang, path)] = text
            assert not RAW.search(text), (lang, path, _around(RAW, text))
            if lang == "zh":
                assert not ENGLISH_IN_ZH.search(text), (path, _around(ENGLISH_IN_ZH, text))
            page.screenshot(path=str(OUTPUT / f"raw_{lang}_{path}.png"))
    assert page.outside_requests == []
