import { expect, test } from "@playwright/test";
import { addFromProductPage, money, register, stockedProducts, uniqueEmail, waitForHydration } from "./support";

/** Tax as the shop charges it for the United States: 7.25% of the subtotal, half up. */
function usTax(subtotal: number): number {
  return Math.floor((subtotal * 725 + 5_000) / 10_000);
}

test("check out with a new address: a declined card, then a good one, makes one order", async ({ page }) => {
  // A shopper's whole visit (sign-up, products, two payments, the order): near 30 s here.
  test.slow();
  const [a, b] = await stockedProducts(page, 2);
  await register(page, "Hedy", uniqueEmail("checkout"));
  await expect(page.getByTestId("user-name")).toHaveText("Hedy");
  await addFromProductPage(page, a, 1);
  await addFromProductPage(page, b, 2);

  await page.goto("/cart");
  await waitForHydration(page);
  await page.getByRole("link", { name: "Proceed to checkout" }).click();
  await expect(page.getByRole("heading", { name: "Checkout", level: 1 })).toBeVisible();
  // The address is added inside the checkout, without leaving it.
  await page.getByRole("link", { name: "Add a new address" }).click();
  await expect(page).toHaveURL("/checkout?address=new");
  await page.getByLabel("Full name").fill("Hedy Lamarr");
  await page.getByLabel("Address line 1").fill("1 Frequency Lane");
  await page.getByLabel("City").fill("Los Angeles");
  await page.getByLabel("State / Region").fill("CA");
  await page.getByLabel("Postal code").fill("90001");
  await page.getByLabel("Country").selectOption("United States");
  await page.getByLabel("Phone").fill("+1 555 0199");
  await page.getByRole("button", { name: "Save address" }).click();

  await expect(page).toHaveURL("/checkout");
  await expect(page.getByRole("radio", { name: /Hedy Lamarr/ })).toBeChecked();
  await expect(page.getByRole("button", { name: "Save address" })).toHaveCount(0);

  // A typo fixed in place: the edited address stays chosen.
  await page.getByRole("link", { name: "Edit the address of Hedy Lamarr" }).click();
  await expect(page.getByLabel("Address line 1")).toHaveValue("1 Frequency Lane");
  await page.getByLabel("Address line 1").fill("2 Frequency Lane");
  await page.getByRole("button", { name: "Save address" }).click();
  await expect(page).toHaveURL("/checkout");
  await expect(page.getByRole("radio", { name: /2 Frequency Lane/ })).toBeChecked();
  const subtotal = a.variants[0].price + 2 * b.variants[0].price;
  const shipping = subtotal >= 5_000 ? 0 : 499;
  const total = subtotal + shipping + usTax(subtotal);
  await expect(page.getByTestId("order-total")).toHaveText(money(total));

  await page.getByLabel("Card number").fill("4000 0000 0000 0002");
  await page.getByLabel("Expiry").fill("12/30");
  await page.getByLabel("CVC").fill("123");
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page.getByRole("alert")).toContainText("Your card was declined");

  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page).toHaveURL(/\/orders\/EM-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await expect(page.getByRole("heading", { name: "Thank you for your order" })).toBeVisible();
  await expect(page.getByText("Test payment: the offline test gateway took it")).toBeVisible();
  const number = (await page.getByTestId("order-number").textContent()) ?? "";
  await expect(page.getByTestId("order-total")).toHaveText(money(total));

  await page.goto("/account/orders");
  await expect(page.getByRole("link", { name: number })).toBeVisible();
  await expect(page.getByRole("row")).toHaveCount(2);

  await waitForHydration(page);
  await expect(page.getByTestId("cart-count")).toContainText("0");
  await page.getByRole("button", { name: `Buy order ${number} again` }).click();
  await expect(page.getByRole("status")).toContainText("Added 3 items to your cart.");
  await expect(page.getByTestId("cart-count")).toContainText("3");
  await page.getByRole("link", { name: "View cart" }).click();
  await expect(page.getByTestId("cart-line")).toHaveCount(2);
});
