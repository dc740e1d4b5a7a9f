import { type Browser, expect, type Page, test } from "@playwright/test";
import {
  freshProduct,
  placeOrder,
  rebuildRecommendations,
  register,
  signInAsAdmin,
  stockedProducts,
  uniqueEmail,
  uniqueWord,
  waitForHydration,
} from "./support";

/** New products titled `titles`, bought together in one order, with the engine rebuilt after. */
async function boughtTogether(browser: Browser, baseURL: string, titles: string[]) {
  const products = [];
  for (const title of titles) products.push(await freshProduct(browser, baseURL, title));
  const buyer = await browser.newContext({ baseURL });
  await placeOrder(buyer.request, baseURL, uniqueEmail("together"), products.map((p) => p.sku));
  await buyer.close();
  rebuildRecommendations();
  return products;
}

test("a product page leads to related products, and the home page follows what a shopper browsed", async ({
  page,
}) => {
  const [first] = await stockedProducts(page, 1);
  await register(page, "Bea Browser", uniqueEmail("browse"));
  await expect(page.getByTestId("user-name")).toHaveText("Bea Browser");

  await page.goto(`/p/${first.slug}`);
  const related = page.getByTestId("also-viewed");
  await expect(related.getByRole("heading")).toHaveText(/^(Customers who viewed this also viewed|Popular in .+)$/);
  const pick = related.getByRole("listitem").first().getByRole("link").first();
  const title = (await pick.textContent())!.trim();
  // Only the product's own button is just "Add to cart": each card's says which product.
  await expect(page.getByRole("button", { name: "Add to cart", exact: true })).toHaveCount(1);
  await waitForHydration(page);
  await pick.click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);

  await expect.poll(async () => (await rowNow(page, "recommended_for_you")).heading).toBe("Inspired by your browsing");
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Inspired by your browsing" })).toBeVisible();
  await expect(page.getByTestId("for-you").getByRole("listitem")).not.toHaveCount(0);
});

test("a guest finds what they looked at under the next product and on the home page", async ({
  page,
  browser,
  isMobile,
}) => {
  const scout = await browser.newPage();
  const [first, second] = await stockedProducts(scout, 2);
  await scout.close();

  // Its first view is a new visitor's: it comes from an address of its own (the shop trusts
  // 127.0.0.1 as its proxy), since a busy minute of journeys on 127.0.0.1 starts more new
  // visitors than one address may have counted.
  const headers = { "X-Forwarded-For": `203.0.113.${isMobile ? 22 : 21}` };
  await page.setExtraHTTPHeaders(headers);
  await page.goto(`/p/${first.slug}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(first.title);
  await expect.poll(async () => (await rowNow(page, "recently_viewed", headers)).slugs).toContain(first.slug);
  await page.goto(`/p/${second.slug}`);
  const recent = page.getByTestId("recently-viewed");
  await expect(recent).toContainText(first.title);
  await expect(recent.getByRole("heading")).toHaveText("Recently viewed");
  await expect(recent).not.toContainText(second.title);

  await expect.poll(async () => (await rowNow(page, "recently_viewed", headers)).slugs).toContain(second.slug);
  await page.goto("/");
  await expect(recent).toContainText(second.title);
  await expect(recent).toContainText(first.title);
});

/** The row the server function `endpoint` gives `page`'s visitor now. Views are written in
 * batches and rows are asked for after the page hydrates, so a journey waits on this before it
 * opens the page, instead of reloading until the row shows. */
async function rowNow(page: Page, endpoint: string, headers: Record<string, string> = {}) {
  const origin = new URL(page.url()).origin;
  const picks = await (await page.request.post(`/api/${endpoint}`, { headers: { ...headers, Origin: origin }, form: {} })).json();
  return { heading: picks.heading as string, slugs: (picks.products as { slug: string }[]).map((p) => p.slug) };
}

test("a shopper adds a product and what others bought with it in one click", async ({ page, browser, baseURL }) => {
  const [lampTitle, shadeTitle] = [`Lamp ${uniqueWord()}`, `Shade ${uniqueWord()}`];
  const [lamp] = await boughtTogether(browser, baseURL!, [lampTitle, shadeTitle]);

  await page.goto(lamp.page);
  await waitForHydration(page);
  const together = page.getByTestId("bought-together");
  await expect(together.getByRole("heading")).toHaveText("Frequently bought together");
  await expect(together.getByRole("listitem")).toHaveCount(2);
  await together.getByRole("button", { name: "Add both to cart" }).click();
  await expect(together.getByRole("status")).toHaveText("Added both to your cart.");
  await expect(page.getByRole("link", { name: /^Cart 2 items/ })).toBeVisible();
  await page.goto("/cart");
  await expect(page.getByRole("main")).toContainText(lampTitle);
  await expect(page.getByRole("main")).toContainText(shadeTitle);
});

test("the cart suggests what others bought with what is in it, and the admin sees the row followed", async ({
  page,
  browser,
  baseURL,
}) => {
  // An admin's and a shopper's whole visits, many page loads: near 30 s here.
  test.slow();
  const [mugTitle, saucerTitle] = [`Mug ${uniqueWord()}`, `Saucer ${uniqueWord()}`];
  const [mug] = await boughtTogether(browser, baseURL!, [mugTitle, saucerTitle]);

  await page.goto(mug.page);
  await waitForHydration(page);
  await page.getByRole("button", { name: "Add to cart", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("Added to your cart.");
  await page.getByRole("link", { name: /^Cart 1 item/ }).click();
  await expect(page).toHaveURL("/cart");
  const suggested = page.getByTestId("with-your-cart");
  await expect(suggested.getByRole("heading")).toHaveText("You may also like");
  await expect(suggested.getByRole("listitem").first()).toContainText(saucerTitle);
  await expect(suggested).not.toContainText(mugTitle);
  await suggested.getByRole("link", { name: saucerTitle }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(saucerTitle);

  const admin = await browser.newPage();
  await admin.goto("/login?next=/admin/analytics");
  await signInAsAdmin(admin);
  await expect(admin.getByTestId("last-rebuild")).toContainText("Last rebuilt");
  // Clicks are written in batches within a second. Each reload is read once hydrated: on a busy
  // machine hydrating the debug build holds the page's thread for seconds.
  await expect(async () => {
    await admin.reload();
    await waitForHydration(admin);
    const row = admin.getByTestId("recommendation-rows").getByRole("row", { name: /^You may also like/ });
    const clicked = await row.getByRole("cell").nth(2).textContent({ timeout: 5_000 });
    expect(Number(clicked)).toBeGreaterThan(0);
  }).toPass({ timeout: 30_000 });
  await admin.close();
});
