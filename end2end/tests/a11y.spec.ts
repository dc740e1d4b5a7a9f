import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import {
  addFromProductPage,
  register,
  signInAsAdmin,
  stockedProducts,
  uniqueEmail,
  waitForHydration,
} from "./support";

// Each test audits several pages; axe takes a few seconds per page on this machine.
test.describe.configure({ timeout: 90_000 });

/** Serious and critical axe findings on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  await waitForHydration(page);
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${page.url()} ${v.id}: ${v.help} (${v.nodes.length} elements)`);
}

test("the shopping pages have no serious or critical accessibility violations", async ({ page }) => {
  const [product] = await stockedProducts(page, 1);
  await register(page, "Ari", uniqueEmail("a11y"));
  await expect(page.getByTestId("user-name")).toHaveText("Ari");
  await addFromProductPage(page, product, 1);
  const found: string[] = [];
  found.push(...(await seriousViolations(page)));
  for (const path of [
    "/cart",
    "/wishlist",
    "/checkout",
    "/account",
    "/account/addresses",
    "/account/orders",
    "/account/notifications",
    "/search?q=zzzzqqq",
    "/account/privacy",
    "/forgot-password",
    "/reset-password?token=unknown",
  ]) {
    await page.goto(path);
    found.push(...(await seriousViolations(page)));
  }
  expect(found).toEqual([]);
});

test("the admin pages have no serious or critical accessibility violations", async ({ page }) => {
  await page.goto("/login");
  await signInAsAdmin(page);
  await expect(page).toHaveURL("/");
  const found: string[] = [];
  for (const path of [
    "/admin",
    "/admin/orders",
    "/admin/analytics",
    "/admin/users",
    "/admin/products",
    "/admin/products/new",
    "/admin/categories",
    "/admin/promotions",
  ]) {
    await page.goto(path);
    found.push(...(await seriousViolations(page)));
  }
  expect(found).toEqual([]);
});
