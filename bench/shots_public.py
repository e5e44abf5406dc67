"""Screenshots of the public petition page for docs/screenshots/.

    .venv/bin/python bench/shots_public.py http://127.0.0.1:8000 stop-face-scraping [out_dir]

Takes the petition page, the thank-you page and the already-signed state (the page
after the thank-you page was seen in the same browser) at 1280x800 and 390x844, each
as the first screen a person sees. Needs a running Chorus with that petition.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def shoot(base: str, slug: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, viewport in SIZES.items():
            phone = name == "phone"
            context = browser.new_context(
                viewport=viewport, device_scale_factor=1, is_mobile=phone, has_touch=phone
            )
            page = context.new_page()
            page.goto(f"{base}/p/{slug}/", wait_until="networkidle")
            page.screenshot(path=str(out / f"petition-{name}.png"))
            page.screenshot(path=str(out / f"petition-{name}-full.png"), full_page=True)
            page.goto(f"{base}/p/{slug}/thanks/", wait_until="networkidle")
            page.screenshot(path=str(out / f"thanks-{name}.png"))
            page.goto(f"{base}/p/{slug}/", wait_until="networkidle")
            page.locator("[data-signed-state]").wait_for(state="visible")
            page.screenshot(path=str(out / f"signed-{name}.png"))
            context.close()
        browser.close()


if __name__ == "__main__":
    shoot(
        sys.argv[1].rstrip("/"),
        sys.argv[2],
        Path(sys.argv[3] if len(sys.argv) > 3 else ".tmp/shots"),
    )
