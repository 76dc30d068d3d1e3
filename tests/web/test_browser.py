"""The bar's browser test: Debian's headless chromium (through chromium-driver and Selenium)
uses the real `beatwire web`, started as a subprocess on a free 127.0.0.1 port over an archive
whose quote holds a <script>: search, follow the result to its statement and its agency.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from support import REPO, beatwire_command, config_text
from web_archive import KERN, REFUSAL, SCRIPT

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def db_url(sqlite_url):
    """The browser sees the same pages on either engine (test_pages covers both): SQLite."""
    return sqlite_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(tmp_path, db_url, archive):
    """`beatwire web` on a free port over the archive; yields its base URL, stops it after."""
    config = tmp_path / "config.toml"
    config.write_text(config_text(db_url, []), encoding="utf-8")
    port = free_port()
    log = (tmp_path / "web.log").open("w")
    env = {k: v for k, v in os.environ.items() if k != "BEATWIRE_DATABASE_URL"}
    process = subprocess.Popen(beatwire_command(config, "web", "--port", str(port)), cwd=REPO,
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, tmp_path / "web.log")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _wait_until_up(base: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"beatwire web exited {process.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/static/style.css", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"beatwire web did not answer within {timeout}s: {log.read_text()}")


@pytest.fixture
def browser():
    """Headless chromium driven through Debian's chromium-driver (no browser download)."""
    if not (CHROMIUM and CHROMEDRIVER):
        message = "needs Debian's chromium and chromium-driver (.ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def arrived(browser, wanted, seconds: float = 20) -> None:
    """Wait until a click's navigation has landed where `wanted(url)` says (a click returns
    before the next page has loaded; on a loaded machine the old URL is still current)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(browser, seconds).until(lambda b: wanted(b.current_url)
                                              and b.execute_script("return document.readyState")
                                              == "complete")
    except TimeoutException:
        pytest.fail(f"the browser stayed at {browser.current_url}")


def test_search_statement_and_agency_in_a_real_browser(served, archive, browser, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    browser.get(served + "/")
    assert browser.title == "Search · Beatwire"
    field = browser.find_element(By.NAME, "q")
    field.send_keys("warrant")
    browser.find_element(By.NAME, "stance").send_keys("refuses")
    browser.find_element(By.CSS_SELECTOR, "form.search button").click()
    arrived(browser, lambda url: "q=warrant" in url and "stance=refuses" in url)
    assert browser.find_element(By.ID, "count").text == "1–1 of 1"
    result = browser.find_element(By.CSS_SELECTOR, "a.permalink")
    assert result.text == f"“{REFUSAL}”"  # the scraped <script> is text on the search page too
    browser.save_screenshot(str(tmp_path / "search.png"))

    result.click()
    arrived(browser, lambda url: url == f"{served}/statements/{archive.refusal}")
    quote = browser.find_element(By.ID, "quote")
    assert SCRIPT in quote.text and quote.text == f"“{REFUSAL}”"
    assert browser.find_elements(By.CSS_SELECTOR, "script") == []
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018  (reading it is the check)
    assert browser.find_element(By.CSS_SELECTOR, "#stance .stance").text == "refuses"
    sources = {a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR,
                                                                       "#reports a.source")}
    assert sources == {archive.refusal_url, archive.rereport_url}
    browser.save_screenshot(str(tmp_path / "statement.png"))

    browser.find_element(By.CSS_SELECTOR, "#agency a").click()
    arrived(browser, lambda url: url == f"{served}/agencies/{archive.kern}")
    assert browser.find_element(By.TAG_NAME, "h1").text == KERN
    timeline = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#timeline li")]
    assert timeline == ["refuses 2025-01-10 · 1 statement", "cooperates 2025-06-01 · 1 statement"]
    browser.save_screenshot(str(tmp_path / "agency.png"))

    for name in ("search.png", "statement.png", "agency.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
