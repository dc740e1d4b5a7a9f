import { expect, test, type Page } from "@playwright/test";
import { money } from "./support";

type Variant = { sku: string; options: [string, string][]; price: number; stock: number };
type Product = { slug: string; title: string; brand: string; variants: Variant[] };

function stockText(stock: number): string {
  if (stock <= 0) return "Out of stock";
  if (stock <= 5) return `Only ${stock} left`;
  return "In stock";
}

/** A product on the home page that has more than one variant. */
async function productWithVariants(page: Page): Promise<Product> {
  const home = await (await page.request.post("/api/load_home_catalog")).json();
  for (const card of home.featured as { slug: string }[]) {
    const response = await page.request.post("/api/product", { form: { slug: card.slug } });
    const product: Product = await response.json();
    if (product.variants.length > 1) return product;
  }
  throw new Error("no product with variants among the new arrivals");
}

test("open a product from the home page and switch variant", async ({ page }) => {
  const product = await productWithVariants(page);
  const [first, second] = product.variants;

  await page.goto("/");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByRole("region", { name: "New arrivals" }).getByRole("link", { name: product.title }).click();

  await expect(page).toHaveURL(`/p/${product.slug}`);
  await expect(page.getByRole("heading", { level: 1, name: product.title })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Home" })).toBeVisible();
  await expect(page.getByTestId("price")).toHaveText(money(first.price));
  await expect(page.getByTestId("stock")).toHaveText(stockText(first.stock));
  await expect(page.getByText(`SKU ${first.sku}`)).toBeVisible();

  const secondChoice = second.options.map(([, value]) => value).join(" / ");
  // The radio buttons are drawn as their labels; a shopper clicks the label.
  await page.getByText(secondChoice, { exact: true }).click();
  await expect(page.getByRole("radio", { name: secondChoice, exact: true })).toBeChecked();
  await expect(page.getByText(`SKU ${second.sku}`)).toBeVisible();
  await expect(page.getByTestId("price")).toHaveText(money(second.price));
  await expect(page.getByTestId("stock")).toHaveText(stockText(second.stock));
});

test("an unknown product shows the 404 page with status 404", async ({ page }) => {
  const response = await page.goto("/p/no-such-product");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});
