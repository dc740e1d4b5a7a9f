import { expect, test } from "@playwright/test";
import {
  addFromProductPage,
  money,
  register,
  signInAsAdmin,
  stockedProducts,
  uniqueEmail,
  uniqueWord,
  waitForHydration,
} from "./support";

/** Tax as the shop charges it for the United States: 7.25% of the discounted items, half up. */
function usTax(items: number): number {
  return Math.floor((items * 725 + 5_000) / 10_000);
}

test("the admin creates a code, a shopper applies it at checkout and prints the invoice, and the admin sees it used", async ({
  page,
  browser,
  baseURL,
  isMobile,
}) => {
  // An admin's and a shopper's whole visits, many page loads: near 30 s here.
  test.slow();
  const code = `SAVE${uniqueWord().toUpperCase()}`;
  await page.goto("/login?next=/admin/promotions");
  await signInAsAdmin(page);
  await expect(page.getByRole("heading", { name: "Promotions", level: 1 })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel("Code").fill(code);
  await page.getByLabel("Name").fill("Five off");
  await page.getByLabel("Gives").selectOption("An amount off");
  await page.getByLabel("Percentage or amount").fill("5.00");
  await page.getByLabel("Uses in total").fill("5");
  await page.getByRole("button", { name: "Save promotion" }).click();
  const row = page.getByTestId("promotion").filter({ hasText: code });
  await expect(row).toContainText("$5.00 off");
  await expect(row.getByTestId("promotion-uses")).toHaveText("0 of 5");

  const shopper = await browser.newPage({ baseURL, isMobile, viewport: page.viewportSize() });
  const [product] = await stockedProducts(shopper, 1);
  await register(shopper, "Rosa", uniqueEmail("promotion"));
  await expect(shopper.getByTestId("user-name")).toHaveText("Rosa");
  await addFromProductPage(shopper, product, 1);
  await shopper.goto("/account/addresses");
  await waitForHydration(shopper);
  await shopper.getByLabel("Full name").fill("Rosa Parks");
  await shopper.getByLabel("Address line 1").fill("12 Cleveland Avenue");
  await shopper.getByLabel("City").fill("Montgomery");
  await shopper.getByLabel("State / Region").fill("AL");
  await shopper.getByLabel("Postal code").fill("36104");
  await shopper.getByLabel("Country").selectOption("United States");
  await shopper.getByRole("button", { name: "Save address" }).click();
  await expect(shopper.getByTestId("address")).toHaveCount(1);

  await shopper.goto("/checkout");
  await waitForHydration(shopper);
  const subtotal = product.variants[0].price;
  const shipping = subtotal >= 5_000 ? 0 : 499;
  await expect(shopper.getByTestId("order-total")).toHaveText(money(subtotal + shipping + usTax(subtotal)));

  await shopper.getByLabel("Discount code").fill("NOSUCHCODE");
  await shopper.getByRole("button", { name: "Apply" }).click();
  await expect(shopper.getByText("We don't know the code “NOSUCHCODE”.")).toBeVisible();
  await expect(shopper.getByTestId("discount")).toHaveCount(0);

  await shopper.getByLabel("Discount code").fill(code.toLowerCase());
  await shopper.getByRole("button", { name: "Apply" }).click();
  const discount = Math.min(500, subtotal);
  const total = subtotal - discount + shipping + usTax(subtotal - discount);
  await expect(shopper.getByTestId("discount")).toContainText(`Discount: ${code} — Five off`);
  await expect(shopper.getByTestId("discount")).toContainText(`−${money(discount)}`);
  await expect(shopper.getByTestId("order-total")).toHaveText(money(total));

  await shopper.getByLabel("Card number").fill("4242 4242 4242 4242");
  await shopper.getByLabel("Expiry").fill("12/30");
  await shopper.getByLabel("CVC").fill("123");
  await shopper.getByRole("button", { name: "Place order" }).click();
  await expect(shopper.getByRole("heading", { name: "Thank you for your order" })).toBeVisible();
  await expect(shopper.getByTestId("discount")).toContainText(`−${money(discount)}`);
  await expect(shopper.getByTestId("order-total")).toHaveText(money(total));

  await shopper.getByRole("link", { name: /^Invoice INV-\d{4}-\d{6}$/ }).click();
  await expect(shopper.getByRole("heading", { name: /^Invoice INV-\d{4}-\d{6}$/ })).toBeVisible();
  await expect(shopper.getByTestId("seller")).toContainText("Emporium Demo Shop Ltd.");
  await expect(shopper.getByTestId("discount")).toContainText(`−${money(discount)}`);
  await expect(shopper.getByTestId("order-total")).toHaveText(money(total));
  await shopper.emulateMedia({ media: "print" });
  await expect(shopper.getByRole("button", { name: "Print" })).toBeHidden();
  await expect(shopper.getByRole("banner")).toBeHidden();
  await expect(shopper.getByTestId("order-total")).toBeVisible();
  await shopper.close();

  await page.reload();
  await expect(row.getByTestId("promotion-uses")).toHaveText("1 of 5");
  await expect(row).toContainText(money(total));
  await waitForHydration(page);
  await row.getByRole("button", { name: "Deactivate" }).click();
  await expect(row).toContainText("Off");
});
