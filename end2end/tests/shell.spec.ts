import { expect, test, type Page } from "@playwright/test";
import { waitForHydration, watchForErrors } from "./support";
import AxeBuilder from "@axe-core/playwright";

type HomeCatalog = {
  departments: { slug: string; name: string }[];
  featured: { slug: string; title: string; brand: string }[];
};

async function homeCatalog(page: Page): Promise<HomeCatalog> {
  const response = await page.request.post("/api/load_home_catalog");
  expect(response.ok()).toBeTruthy();
  return response.json();
}

test("the home page is rendered on the server with products from the database", async ({ page }) => {
  const catalog = await homeCatalog(page);
  const first = catalog.featured[0];

  const response = await page.request.get("/");
  expect(response.status()).toBe(200);
  const html = await response.text();
  expect(html).toContain("New arrivals");
  expect(html).toContain(first.title.replaceAll("&", "&amp;"));

  await page.goto("/");
  await expect(page.getByRole("region", { name: "New arrivals" }).getByRole("link", { name: first.title })).toBeVisible();
  await expect(page.getByRole("link", { name: catalog.departments[0].name })).toBeVisible();
});

test("the page hydrates without errors and the header works", async ({ page, isMobile }) => {
  const errors = watchForErrors(page);
  await page.goto("/");
  await waitForHydration(page);
  await expect(page.getByRole("link", { name: "Emporium" })).toBeVisible();
  await expect(page.getByLabel("Search")).toBeVisible();

  const signIn = page.getByRole("link", { name: "Sign in" });
  if (isMobile) {
    const menu = page.getByRole("button", { name: "Menu" });
    await expect(signIn).toBeHidden();
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    await expect(signIn).toBeVisible();
    await expect(page.getByRole("link", { name: "Cart" })).toBeVisible();
  } else {
    await expect(page.getByRole("button", { name: "Menu" })).toBeHidden();
    await expect(signIn).toBeVisible();
  }
  expect(errors).toEqual([]);
});

test("search engines may index the catalog but not a shopper's pages, also after moving in the browser", async ({
  page,
}) => {
  const errors = watchForErrors(page);
  const noindex = page.locator('meta[name="robots"][content="noindex"]');
  await page.goto("/cart");
  await waitForHydration(page);
  await expect(noindex).toHaveCount(1);
  await page.getByRole("link", { name: "Emporium" }).click();
  await expect(page.getByRole("heading", { name: "New arrivals" })).toBeVisible();
  await expect(noindex).toHaveCount(0);
  await expect(page.locator('meta[name="description"]')).toHaveCount(1);
  await page.goBack();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(noindex).toHaveCount(1);
  expect(errors).toEqual([]);
});

test("an unknown address shows the 404 page with status 404", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Back to the shop" }).click();
  await expect(page.getByRole("heading", { name: "New arrivals" })).toBeVisible();
});

test("the home page has no serious or critical accessibility violations", async ({ page }) => {
  await page.goto("/");
  await waitForHydration(page);
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.length} elements)`);
  expect(serious).toEqual([]);
});
