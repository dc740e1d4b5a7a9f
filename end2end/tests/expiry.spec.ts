import { expect, test } from "@playwright/test";
import { STRIPE_SHOP_URL, placeOrder, stockedProducts, uniqueEmail } from "./support";

// The shop in Stripe mode: its orders wait for a payment made on Stripe's side, which never
// comes here, and hold their stock for one minute.
test.use({ baseURL: STRIPE_SHOP_URL });

test("an order left unpaid expires: its stock comes back and its items wait in the cart", async ({ page, isMobile }) => {
  test.skip(isMobile, "once is enough: the journey waits for the reservation to run out");
  test.setTimeout(180_000);
  const [product] = await stockedProducts(page, 1);
  const variant = product.variants[0];
  const headers = { Origin: STRIPE_SHOP_URL };
  const post = async (path: string, form: Record<string, string>) => {
    const reply = await page.request.post(path, { form, headers });
    expect(reply.ok(), await reply.text()).toBe(true);
    return reply;
  };
  const stock = async () => (await (await post("/api/product", { slug: product.slug })).json()).variants[0].stock;
  // Stripe takes the card on its own page: the shop's card fields stay empty.
  const number = await placeOrder(page.request, STRIPE_SHOP_URL, uniqueEmail("unpaid"), variant.sku, "2", "");
  expect(await stock()).toBe(variant.stock - 2);

  // The shopper comes back to the order page now and then, as a person would.
  await page.goto(`/orders/${number}`);
  await expect(page.getByTestId("order-status")).toHaveText("Awaiting payment");
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("order-status")).toHaveText("Expired", { timeout: 1_000 });
  }).toPass({ timeout: 150_000, intervals: [5_000] });
  await expect(page.getByText("This order was not paid in time")).toBeVisible();
  expect(await stock()).toBe(variant.stock);

  await page.getByRole("link", { name: "review your cart" }).click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByRole("link", { name: product.title }).first()).toBeVisible();
});
