import { expect, test, type Page } from "@playwright/test";
import {
  PASSWORD,
  type Product,
  addFromProductPage,
  deleteProduct,
  freshProduct,
  money,
  openMenu,
  signIn,
  stockedProducts,
  uniqueEmail,
  uniqueWord,
  waitForHydration,
} from "./support";

async function expectBadge(page: Page, count: number) {
  await expect(page.getByTestId("cart-count")).toContainText(String(count));
}

function line(page: Page, product: Product) {
  return page.getByTestId("cart-line").filter({ has: page.getByRole("link", { name: product.title }) });
}

test("a guest cart survives a reload, joins the account on sign-in, and moves to the wishlist and back", async ({
  page,
  browser,
  baseURL,
  isMobile,
}) => {
  const [a, b, c] = await stockedProducts(page, 3);
  const email = uniqueEmail("cart");

  // The account already holds C, put there from another device.
  const other = await browser.newContext({ baseURL });
  // Browsers send Origin with a POST; the shop refuses writes from other sites without it.
  const headers = { Origin: baseURL! };
  await other.request.post("/api/register", { form: { name: "Cora", email, password: PASSWORD }, headers });
  await other.request.post("/api/login", { form: { email, password: PASSWORD }, headers });
  const added = await other.request.post("/api/add_to_cart", {
    form: { sku: c.variants[0].sku, quantity: "1" },
    headers,
  });
  expect(added.ok()).toBe(true);
  await other.close();

  await addFromProductPage(page, a, 1);
  await expectBadge(page, 1);
  await addFromProductPage(page, b, 2);
  await expectBadge(page, 3);

  await page.goto("/cart");
  await page.reload();
  await expect(page.getByTestId("cart-line")).toHaveCount(2);
  await expectBadge(page, 3);

  await waitForHydration(page);
  await openMenu(page, isMobile);
  await page.getByRole("link", { name: "Sign in" }).click();
  await signIn(page, email, PASSWORD);
  await expect(page.getByTestId("user-name")).toHaveText("Cora");
  await expectBadge(page, 4);

  await page.goto("/cart");
  await waitForHydration(page);
  await expect(page.getByTestId("cart-line")).toHaveCount(3);
  const aPrice = a.variants[0].price;
  const bPrice = b.variants[0].price;
  const cPrice = c.variants[0].price;
  await expect(page.getByTestId("cart-subtotal")).toHaveText(money(aPrice + 2 * bPrice + cPrice));

  await line(page, a).getByLabel("Quantity").fill("3");
  await line(page, a).getByRole("button", { name: "Update" }).click();
  await expect(line(page, a).getByTestId("line-total")).toHaveText(money(3 * aPrice));
  await expect(page.getByTestId("cart-subtotal")).toHaveText(money(3 * aPrice + 2 * bPrice + cPrice));
  await expectBadge(page, 6);

  await line(page, b).getByRole("button", { name: "Remove" }).click();
  await expect(page.getByTestId("cart-line")).toHaveCount(2);
  await expectBadge(page, 4);

  await line(page, c).getByRole("button", { name: "Move to wishlist" }).click();
  await expect(page.getByTestId("cart-line")).toHaveCount(1);
  await expectBadge(page, 3);
  await expect(page.getByTestId("cart-subtotal")).toHaveText(money(3 * aPrice));

  await page.goto("/wishlist");
  await waitForHydration(page);
  const saved = page.getByTestId("wishlist-item").filter({ has: page.getByRole("link", { name: c.title }) });
  await expect(saved).toBeVisible();
  await saved.getByRole("button", { name: "Add to cart" }).click();
  await expectBadge(page, 4);

  await page.goto("/cart");
  await expect(page.getByTestId("cart-line")).toHaveCount(2);
  await expect(line(page, c)).toBeVisible();
});

test("a guest who saves to the wishlist signs in, confirms, and finds the item there", async ({ page, baseURL }) => {
  const [product] = await stockedProducts(page, 1);
  const email = uniqueEmail("wish");
  const headers = { Origin: baseURL! };
  await page.request.post("/api/register", { form: { name: "Wren", email, password: PASSWORD }, headers });
  await page.request.post("/api/logout", { headers });

  await page.goto(`/p/${product.slug}`);
  await waitForHydration(page);
  await page.getByRole("link", { name: "Add to wishlist" }).click();
  await expect(page).toHaveURL(/\/login\?next=/);
  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(new RegExp(`/p/${product.slug}\\?wishlist=`));
  // Coming back by a link saves nothing by itself (anyone could send such a link).
  await expect(page.getByRole("status")).toContainText("Press “Add to wishlist” to save it.");
  const back = page.url();
  await page.goto("/wishlist");
  await expect(page.getByRole("link", { name: product.title })).toHaveCount(0);
  await page.goto(back);
  await waitForHydration(page);
  await page.getByRole("button", { name: "Add to wishlist" }).click();
  await expect(page.getByRole("status")).toContainText("Saved to your wishlist.");

  await page.goto("/wishlist");
  await expect(page.getByRole("link", { name: product.title })).toBeVisible();
});

test("an item the shop stops selling leaves the cart with a notice", async ({ page, browser, baseURL }) => {
  const title = `Harbour lamp ${uniqueWord()}`;
  const product = await freshProduct(browser, baseURL!, title);
  await page.goto(product.page);
  await waitForHydration(page);
  await page.getByRole("button", { name: "Add to cart", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("Added to your cart.");
  await expectBadge(page, 1);

  await deleteProduct(browser, baseURL!, product.id);
  await page.goto("/cart");
  await expect(page.getByRole("status")).toHaveText(`${title} is no longer sold, so it was removed from your cart.`);
  await expectBadge(page, 0);
  await page.reload();
  await expect(page.getByText("is no longer sold")).toHaveCount(0);
});
