"""Switching the language keeps what the user chose on the page."""

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_switching_language_keeps_the_filters(page, server):
    sign_in(page, server, "leader", "gwmap-leader")
    page.get_by_text("冠县地下水超采治理情况").first.wait_for(timeout=60_000)
    page.goto(server + "/registry")
    search = page.get_by_label("搜索")
    search.wait_for(timeout=60_000)
    search.fill("J00")
    search.press("Enter")
    page.wait_for_timeout(1500)
    page.get_by_text("English").click()
    page.get_by_text("Abstraction well registry").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    field = page.get_by_role("textbox", name="Search")  # the same field, now labelled in English
    assert field.get_attribute("placeholder") == "well code, permit holder or village"
    assert field.input_value() == "J00"
    assert page.outside_requests == []
