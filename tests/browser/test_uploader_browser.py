"""Streamlit's uploader speaks the user's language and states the real limit (50 MB)."""

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_the_uploader_says_upload_and_the_limit_in_chinese(page, server):
    sign_in(page, server, "hydro", "gwmap-hydro")
    page.get_by_text("冠县地下水超采治理情况").first.wait_for(timeout=60_000)
    page.goto(server + "/surveys")
    zone = page.locator('[data-testid="stFileUploaderDropzone"]').first
    zone.wait_for(timeout=60_000)
    shown = zone.evaluate("""z => {
        const after = el => getComputedStyle(el, '::after').content;
        const p = z.querySelector('button [data-testid="stMarkdownContainer"] p');
        const rule = z.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] span');
        return {button: after(p), rule: after(rule), english: [p, rule].map(e => getComputedStyle(e).fontSize)};
    }""")
    assert shown["button"] == '"上传文件"' and shown["rule"] == '"每个文件不超过 50 MB"'
    assert shown["english"] == ["0px", "0px"]  # Streamlit's own "Upload" / "50MB per file" are not shown
    assert page.outside_requests == []
