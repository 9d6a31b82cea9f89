"""A thin helper over Selenium for the dashboard's pages: open a path, find by component id,
wait for text, use a row's actions and the confirmation dialog. Ids come from dashboard.ids.
"""
from __future__ import annotations

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from dashboard import ids
from tests.conftest import WAIT_SECONDS, wait_for


class Page:
    def __init__(self, driver, base_url: str):
        self.driver, self.base = driver, base_url

    def open(self, path: str, ready: str | None = None) -> None:
        self.driver.get(self.base + path)
        wait_for(lambda: self.driver.find_elements(By.CSS_SELECTOR, "#_pages_content > *"), message=f"{path} to render")
        if ready:
            self.css(ready)

    def css(self, selector: str, timeout=WAIT_SECONDS):
        return wait_for(lambda: self.driver.find_element(By.CSS_SELECTOR, selector), timeout, message=selector)

    def all(self, selector: str):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def by_id(self, component_id: str, timeout=WAIT_SECONDS):
        return wait_for(lambda: self.driver.find_element(By.ID, component_id), timeout, message=f"#{component_id}")

    def text_of(self, selector: str) -> str:
        """The element's text, or "" while it is absent or being re-rendered."""
        try:
            found = self.all(selector)
            return found[0].text if found else ""
        except StaleElementReferenceException:
            return ""

    def wait_text(self, selector: str, expected: str, timeout=WAIT_SECONDS) -> str:
        return wait_for(lambda: expected in self.text_of(selector) and self.text_of(selector), timeout,
                        message=lambda: f"{expected!r} in {selector} (has {self.text_of(selector)!r})")

    def click(self, selector: str) -> None:
        wait_for(lambda: self._click(selector), message=f"clicking {selector}")

    def _click(self, selector):
        element = self.driver.find_element(By.CSS_SELECTOR, selector)
        # Centre it first, instantly (Bootstrap makes scrolling smooth, and a click mid-scroll misses).
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
        element.click()
        return True

    # --- the pipelines list -------------------------------------------------------------
    def row(self, name: str) -> str:
        return f'tr[data-pipeline="{name}"]'

    def row_action(self, name: str, action: str) -> None:
        self.click(f'{self.row(name)} button[data-action="{action}"]')

    def more(self, scope: str, item: str) -> None:
        """Open the "More" menu inside `scope` and choose `item`. A poll may re-render the
        table under an open menu (closing it), so open it again until the item is clicked."""
        xpath = f"//*[contains(@class,'dropdown-menu') and contains(@class,'show')]//*[normalize-space()='{item}']"

        def choose():
            found = self.driver.find_elements(By.XPATH, xpath)
            if not found:
                self.driver.find_element(By.CSS_SELECTOR, f"{scope} .more-menu .dropdown-toggle").click()
                # Not the whole wait: a re-render may close the menu again, and then it is reopened.
                found = wait_for(lambda: self.driver.find_elements(By.XPATH, xpath), timeout=10, message=item)
            found[0].click()
            return True
        wait_for(choose, message=f"menu item {item}")

    # --- the confirmation dialog --------------------------------------------------------
    def dialog_open(self, title: str) -> str:
        """Wait for the dialog titled `title` to be shown (the previous dialog may still be
        fading out with its own title: reading whichever title is there first would race)."""
        def shown():
            return self.text_of(f".modal.show #{ids.DIALOG_TITLE}")
        return wait_for(lambda: shown() == title and shown(),
                        message=lambda: f"the dialog {title!r} (shown: {shown()!r})")

    def fill(self, component_id: str, text: str) -> None:
        # clear() bypasses React's change events; select-all + delete goes through them.
        box = self.by_id(component_id)
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        if text:
            box.send_keys(text)

    def choose(self, component_id: str, label: str) -> None:
        Select(self.by_id(component_id)).select_by_visible_text(label)

    def confirm(self) -> None:
        self.click(f"#{ids.DIALOG_CONFIRM}")

    def dialog_closed(self) -> bool:
        return wait_for(lambda: not self.all(f".modal.show #{ids.DIALOG_CONFIRM}"), message="the dialog to close")

    def feedback(self, expected: str) -> str:
        return self.wait_text(f"#{ids.FEEDBACK}", expected)
