import { expect, test } from "@playwright/test";
import { register, stockedProducts, uniqueEmail, waitForHydration } from "./support";

test("a product page leads to related products, and the home page follows what a shopper browsed", async ({
  page,
}) => {
  const [first] = await stockedProducts(page, 1);
  await register(page, "Bea Browser", uniqueEmail("browse"));
  await expect(page.getByTestId("user-name")).toHaveText("Bea Browser");

  await page.goto(`/p/${first.slug}`);
  const related = page.getByTestId("also-viewed");
  await expect(related.getByRole("heading")).toHaveText(/Customers who viewed this also viewed|More like this/);
  const pick = related.getByRole("listitem").first().getByRole("link").first();
  const title = (await pick.textContent())!.trim();
  await waitForHydration(page);
  await pick.click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);

  // Views are written in batches within a second; the home page then picks from their category.
  await expect(async () => {
    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Inspired by your browsing" })).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await expect(page.getByTestId("for-you").getByRole("listitem")).not.toHaveCount(0);
});

test("a guest finds what they looked at under the next product and on the home page", async ({ page, browser }) => {
  const scout = await browser.newPage();
  const [first, second] = await stockedProducts(scout, 2);
  await scout.close();

  await page.goto(`/p/${first.slug}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(first.title);
  // Views are written in batches within a second.
  await expect(async () => {
    await page.goto(`/p/${second.slug}`);
    await expect(page.getByTestId("recently-viewed")).toContainText(first.title, { timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  const recent = page.getByTestId("recently-viewed");
  await expect(recent.getByRole("heading")).toHaveText("Recently viewed");
  await expect(recent).not.toContainText(second.title);

  await expect(async () => {
    await page.goto("/");
    await expect(page.getByTestId("recently-viewed")).toContainText(second.title, { timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  await expect(page.getByTestId("recently-viewed")).toContainText(first.title);
});
