async def test_the_api_reference_renders_from_local_assets(page, live_server):
    await page.goto(live_server + "/docs")
    # Swagger UI renders the operations of /openapi.json (no CDN, no inline script).
    await page.wait_for_selector(".opblock", timeout=15_000)
    assert await page.locator(".opblock").count() > 20
    assert "科普点单派单" in await page.locator(".title").first.inner_text()
