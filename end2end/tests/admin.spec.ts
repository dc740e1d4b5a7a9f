import { expect, test } from "@playwright/test";
import {
  MADE_BY_A_SPEC,
  register,
  signInAsAdmin,
  uniqueEmail,
  uniqueWord,
  waitForHydration,
} from "./support";

test("an admin creates a product and finds it in search at once", async ({ page }) => {
  const word = uniqueWord();
  const title = `Lantern ${word}`;

  await page.goto("/admin/products/new");
  await expect(page).toHaveURL(/\/login\?next=/);
  await signInAsAdmin(page);
  await expect(page).toHaveURL("/admin/products/new");
  await waitForHydration(page);

  // A first try with mistakes shows a message next to each field and keeps what was typed.
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Brand").fill("Lumen Works");
  await page.getByLabel("SKU").fill(`LAN-${word}`);
  await page.getByLabel("Price", { exact: true }).fill("-4");
  await page.getByLabel("Stock").fill("12");
  await page.getByRole("button", { name: "Save product" }).click();
  await expect(page.getByText("Choose a category.")).toBeVisible();
  await expect(page.getByText("An amount can't be negative.")).toBeVisible();
  await expect(page.getByLabel("Title")).toHaveValue(title);

  await page.getByLabel("Category").selectOption({ index: 1 });
  await page.getByLabel("Description").fill(MADE_BY_A_SPEC);
  await page.getByLabel("Price", { exact: true }).fill("39.99");
  await page.getByRole("button", { name: "Save product" }).click();
  await expect(page.getByRole("status")).toHaveText("Product saved.");
  await expect(page).toHaveURL(/\/admin\/products\/\d+\?saved=1$/);
  await expect(page.getByLabel("Title")).toHaveValue(title);

  await page.goto("/search?q=" + word);
  const result = page.getByRole("link", { name: title });
  await expect(result).toBeVisible();
  await result.click();
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  await expect(page.getByTestId("price")).toHaveText("$39.99");
});

test("a shopper gets the 403 page on /admin", async ({ page }) => {
  await register(page, "Olga", uniqueEmail("olga"));
  await expect(page.getByTestId("user-name")).toHaveText("Olga");
  const response = await page.goto("/admin");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Access denied" })).toBeVisible();
  const products = await page.goto("/admin/products");
  expect(products?.status()).toBe(403);
});

test("a product saved with none left shows on the dashboard as low stock, linked to its form", async ({ page }) => {
  const word = uniqueWord();
  // Sorted by stock, then title: "A1 …" comes first among the empty ones.
  const title = `A1 Lantern ${word}`;
  await page.goto("/login?next=/admin/products/new");
  await signInAsAdmin(page);
  await expect(page).toHaveURL("/admin/products/new");
  await waitForHydration(page);
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Brand").fill("Lumen Works");
  await page.getByLabel("Category").selectOption({ index: 1 });
  await page.getByLabel("SKU").fill(`LOW-${word}`);
  await page.getByLabel("Price", { exact: true }).fill("12.00");
  await page.getByLabel("Stock").fill("0");
  await page.getByRole("button", { name: "Save product" }).click();
  await expect(page.getByRole("status")).toHaveText("Product saved.");

  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Dashboard" }).click();
  await expect(page.getByRole("heading", { name: "Low stock" })).toBeVisible();
  const row = page.getByTestId("low-stock").filter({ hasText: `LOW-${word}` });
  await expect(row).toContainText("0");
  await row.getByRole("link", { name: title }).click();
  await expect(page.getByLabel("Title")).toHaveValue(title);
});
