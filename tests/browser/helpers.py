"""What every browser journey does first."""


def login(page, base_url, username, password="demo"):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[data-testid=login-submit]")


def pick_person(page, field, text, name):
    """Type ``text`` in the people picker of ``field`` and choose the match showing ``name``."""
    picker = page.get_by_test_id("person-picker").filter(has=page.locator(f"[name={field}_q]"))
    picker.locator(f"[name={field}_q]").fill(text)
    picker.locator("label", has_text=name).locator("input").check()
