import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import {
  MADE_BY_A_SPEC,
  freshProduct,
  pngPicture,
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

test("an admin gives a product a photo, and each screen downloads the copy that fits it", async ({
  page,
  browser,
  baseURL,
}) => {
  const title = `Heron print ${uniqueWord()}`;
  const product = await freshProduct(browser, baseURL!, title);
  await page.goto(`/admin/products/${product.id}`);
  await signInAsAdmin(page);
  await expect(page).toHaveURL(`/admin/products/${product.id}`);
  await waitForHydration(page);

  const picture = page.getByLabel("Image");
  await picture.setInputFiles({ name: "broken.png", mimeType: "image/png", buffer: pngPicture(64, 64).subarray(0, 60) });
  await page.getByRole("button", { name: "Upload image" }).click();
  await expect(page.getByRole("alert")).toHaveText(/That picture could not be read/);

  await picture.setInputFiles({ name: "heron.png", mimeType: "image/png", buffer: pngPicture(1600, 1200) });
  await page.getByRole("button", { name: "Upload image" }).click();
  await expect(page).toHaveURL(`/admin/products/${product.id}?saved=1`);
  await expect(page.getByRole("alert")).toHaveCount(0);

  // The same page on a small phone and on a wide screen of twice the pixel density: each
  // downloads one copy, the one that fits.
  for (const [screen, copy] of [
    [{ viewport: { width: 320, height: 640 }, screen: { width: 320, height: 640 }, deviceScaleFactor: 1 }, "320x240"],
    [{ viewport: { width: 1280, height: 800 }, screen: { width: 1280, height: 800 }, deviceScaleFactor: 2 }, "1280x960"],
  ] as const) {
    const shopper = await browser.newContext({ baseURL, ...screen });
    const visit = await shopper.newPage();
    const fetched: string[] = [];
    visit.on("request", (request) => {
      if (request.url().includes(`/media/uploads/${product.id}-`)) fetched.push(request.url());
    });
    await visit.goto(product.page);
    const hero = visit.getByRole("img", { name: title });
    await expect(hero).toHaveAttribute("fetchpriority", "high");
    await expect.poll(() => hero.evaluate((img: HTMLImageElement) => img.complete && img.currentSrc)).toMatch(/\.webp$/);
    expect(fetched).toHaveLength(1);
    expect(fetched[0]).toMatch(new RegExp(`-${copy}\\.webp$`));
    await shopper.close();
  }
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

test("an admin downloads the catalog as a CSV in Shopify's format", async ({ page, browser, baseURL }) => {
  const title = `Exported lamp ${uniqueWord()}`;
  const product = await freshProduct(browser, baseURL!, title);
  await page.goto("/login?next=/admin/products");
  await signInAsAdmin(page);
  await expect(page.getByRole("heading", { name: "Products", level: 1 })).toBeVisible();
  await waitForHydration(page);
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV (Shopify format)" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("products.csv");
  const text = readFileSync((await download.path())!, "utf8");
  expect(text.split("\n")[0]).toMatch(/^Handle,Title,Body \(HTML\),Vendor,Type,/);
  const row = text.split("\n").find((line) => line.includes(product.sku));
  expect(row).toContain(title);
  expect(row).toContain("20.00");
});

test("an admin imports products from a Shopify CSV: a preview, the go, and a report of each row left out", async ({
  page,
  baseURL,
}) => {
  await page.goto("/login?next=/admin/products");
  await signInAsAdmin(page);
  await expect(page.getByRole("heading", { name: "Products", level: 1 })).toBeVisible();
  const categories: { slug: string; parent: string | null }[] = await (
    await page.request.post("/api/admin_categories", { headers: { Origin: baseURL! } })
  ).json();
  const type = categories.find((c) => c.parent !== null)!.slug;
  const word = uniqueWord();
  const file = [
    "Handle,Title,Body (HTML),Vendor,Type,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty,Status",
    `kettle-${word},Kettle ${word},<p>Boils <b>fast</b>.</p>,Boil Co,${type},Colour,Red,KET-${word}-R,30.00,5,active`,
    `kettle-${word},,,,,,Blue,KET-${word}-B,31.00,2,`,
    `broken-${word},Broken ${word},,Boil Co,${type},,,BRK-${word},-3,1,active`,
  ].join("\n");
  await page.getByLabel("Import a CSV (Shopify format)").setInputFiles({
    name: "shop.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(file),
  });
  await page.getByRole("button", { name: "Upload for preview" }).click();
  await expect(page).toHaveURL(/\/admin\/products\/import\/\d+$/);
  await expect(page.getByRole("heading", { name: "Import shop.csv" })).toBeVisible();
  await waitForHydration(page);
  await expect(page.getByTestId("import-sample").filter({ hasText: `kettle-${word}` })).toContainText("created");
  await expect(page.getByTestId("import-problem")).toContainText("Variant Price");

  await page.getByRole("button", { name: "Import 2 products" }).click();
  await expect(page.getByTestId("import-status")).toHaveText(
    "Done: 1 created, 0 updated, 0 unchanged, 1 not imported.",
    { timeout: 20_000 },
  );
  await expect(page.getByTestId("import-problem")).toContainText("4");

  // Imported products reach the search index at the node's next poll (half a second).
  const found = page.getByRole("link", { name: `Kettle ${word}` }).first();
  await expect(async () => {
    await page.goto(`/search?q=${word}`);
    await expect(found).toBeVisible({ timeout: 1_000 });
  }).toPass();
  await found.click();
  await expect(page.getByRole("heading", { level: 1, name: `Kettle ${word}` })).toBeVisible();
  await expect(page.getByText("Boils fast.")).toBeVisible();
});
