import { type Browser, expect, type Page, test } from "@playwright/test";
import {
  emailTo,
  openMenu,
  PASSWORD,
  placeOrder,
  signIn,
  signInAsAdmin,
  stockedProducts,
  uniqueEmail,
  waitForHydration,
} from "./support";

/** A new shopper's paid order of `quantity` units of a demo product, opened on the order desk by
 * the admin; the product, the shopper's email and the order's number. */
async function paidOrderOnDesk(page: Page, browser: Browser, baseURL: string, tag: string, quantity: string) {
  const [product] = await stockedProducts(page, 1);
  const email = uniqueEmail(tag);
  const shopper = await browser.newContext({ baseURL });
  const number = await placeOrder(shopper.request, baseURL, email, product.variants[0].sku, quantity);
  await shopper.close();
  await page.goto(`/login?next=/admin/orders/${number}`);
  await signInAsAdmin(page);
  await expect(page.getByTestId("desk-status")).toHaveText("Paid");
  await waitForHydration(page);
  return { product, email, number };
}

/** The shopper `email`, signed in on a page of their own (sized like `page`) at their order `number`. */
async function shopperAtOrder(
  browser: Browser,
  page: Page,
  baseURL: string,
  isMobile: boolean,
  email: string,
  number: string,
) {
  const buyer = await browser.newPage({ baseURL, isMobile, viewport: page.viewportSize() });
  await buyer.goto(`/login?next=/orders/${number}`);
  await signIn(buyer, email, PASSWORD);
  return buyer;
}

test("an admin ships an order with its tracking number and the shopper is told in the shop", async ({ page, browser, baseURL, isMobile }) => {
  const [product] = await stockedProducts(page, 1);
  const email = uniqueEmail("shipped");
  const shopper = await browser.newContext({ baseURL });
  const number = await placeOrder(shopper.request, baseURL!, email, product.variants[0].sku);
  await shopper.close();

  await page.goto("/login?next=/admin/orders");
  await signInAsAdmin(page);
  await expect(page.getByRole("heading", { name: "Orders" })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel("Order number, email or name").fill(number);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByTestId("desk-order")).toHaveCount(1);
  await page.getByRole("link", { name: number }).click();
  await expect(page.getByTestId("desk-status")).toHaveText("Paid");
  await expect(page.getByText("Test payment: the offline test gateway took it")).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel("Carrier").selectOption("UPS");
  await page.getByLabel("Tracking number").fill("1Z999AA10123456784");
  await page.getByRole("button", { name: "Mark as shipped" }).click();
  await expect(page.getByTestId("desk-status")).toHaveText("Shipped");
  await expect(page.getByRole("list", { name: "History" })).toContainText("Paid → Shipped");
  await expect(page.getByRole("button", { name: "Cancel order" })).toHaveCount(0);

  const buyer = await browser.newPage({ baseURL, isMobile, viewport: page.viewportSize() });
  await buyer.goto("/login");
  await signIn(buyer, email, PASSWORD);
  await expect(buyer.getByTestId("user-name")).toHaveText("Omar Buyer");
  await expect(buyer.getByTestId("notification-count")).toContainText("1");
  await waitForHydration(buyer);
  await openMenu(buyer, isMobile);
  await buyer.getByRole("link", { name: /^Notifications/ }).click();
  const notice = buyer.getByTestId("notification");
  await expect(notice).toContainText(`Order ${number} has shipped`);
  await expect(notice).toContainText("New");
  await buyer.getByRole("button", { name: "Mark all as read" }).click();
  await expect(notice).not.toContainText("New");
  await expect(buyer.getByTestId("notification-count")).toHaveCount(0);
  await notice.getByRole("link", { name: `Order ${number} has shipped` }).click();
  await expect(buyer.getByTestId("order-status")).toHaveText("Shipped");
  const track = buyer.getByTestId("shipment").getByRole("link", { name: "track 1Z999AA10123456784" });
  await expect(track).toHaveAttribute("href", "https://www.ups.com/track?tracknum=1Z999AA10123456784");
  await buyer.close();
});

test("an admin ships an order in two parcels and the shopper sees both, each with its tracking link", async ({
  page,
  browser,
  baseURL,
  isMobile,
}) => {
  const { product, email, number } = await paidOrderOnDesk(page, browser, baseURL!, "parcels", "2");
  await page.getByLabel(`${product.title} (2 of 2 to ship)`).fill("1");
  await page.getByLabel("Carrier").selectOption("DHL");
  await page.getByLabel("Tracking number").fill("JD0001");
  await page.getByRole("button", { name: "Mark as shipped" }).click();
  await expect(page.getByTestId("desk-status")).toHaveText("Partially shipped");
  await expect(page.getByLabel(`${product.title} (1 of 2 to ship)`)).toHaveValue("1");
  await page.getByLabel("Carrier").selectOption("UPS");
  await page.getByLabel("Tracking number").fill("1Z0002");
  await page.getByRole("button", { name: "Mark as shipped" }).click();
  await expect(page.getByTestId("desk-status")).toHaveText("Shipped");

  const buyer = await shopperAtOrder(browser, page, baseURL!, isMobile, email, number);
  await expect(buyer.getByTestId("order-status")).toHaveText("Shipped");
  const parcels = buyer.getByTestId("shipment");
  await expect(parcels).toHaveCount(2);
  await expect(parcels.nth(0).getByRole("link", { name: "track JD0001" })).toHaveAttribute("href", /dhl\.com.*JD0001/);
  await expect(parcels.nth(1).getByRole("link", { name: "track 1Z0002" })).toHaveAttribute("href", /ups\.com.*1Z0002/);
  await expect(parcels.nth(1)).toContainText(`1 × ${product.title}`);
  await buyer.close();
});

test("an admin refunds one unit and the shopper sees the order partially refunded, in the shop and by email", async ({
  page,
  browser,
  baseURL,
  isMobile,
}) => {
  const { product, email, number } = await paidOrderOnDesk(page, browser, baseURL!, "refunded", "2");
  await page.getByRole("region", { name: "Refund", exact: true }).getByLabel(product.title).fill("1");
  await page.getByLabel("Reason").fill("Arrived scratched");
  await page.getByRole("button", { name: "Refund", exact: true }).click();
  const refund = page.getByTestId("refund");
  await expect(refund).toContainText("succeeded");
  await expect(refund).toContainText(/credit note CN-\d{4}-\d{6}/);
  await expect(refund).toContainText("Arrived scratched");
  await expect(page.getByTestId("desk-refunded")).toContainText("Refunded $");
  await expect(page.getByTestId("desk-status")).toHaveText("Paid");

  const buyer = await shopperAtOrder(browser, page, baseURL!, isMobile, email, number);
  await expect(buyer.getByTestId("order-number")).toHaveText(number);
  await expect(buyer.getByTestId("refund-state")).toContainText("Partially refunded");
  await buyer.close();
  const mail = await emailTo(email, `refunded on order ${number}`);
  expect(mail).toMatch(/credit note CN-\d{4}-\d{6}/);
});

test("a shopper returns an item, and the admin approves, receives and refunds it", async ({ page, browser, baseURL, isMobile }) => {
  const { product, email, number } = await paidOrderOnDesk(page, browser, baseURL!, "returned", "2");
  await page.getByRole("button", { name: "Mark as shipped" }).click();
  await expect(page.getByTestId("desk-status")).toHaveText("Shipped");
  await page.getByRole("button", { name: "Mark as delivered" }).click();
  await expect(page.getByTestId("desk-status")).toHaveText("Delivered");

  const buyer = await shopperAtOrder(browser, page, baseURL!, isMobile, email, number);
  await expect(buyer.getByTestId("order-number")).toHaveText(number);
  await waitForHydration(buyer);
  await buyer.getByText("Return items", { exact: true }).click();
  await buyer.getByLabel(`${product.title} (2 of 2 can go back)`).fill("1");
  await buyer.getByLabel("Why are you returning it?").selectOption("It arrived damaged");
  await buyer.getByLabel("Anything we should know?").fill("The handle came off.");
  await buyer.getByRole("button", { name: "Request return" }).click();
  const request = buyer.getByTestId("return");
  await expect(request.getByTestId("return-status")).toHaveText("Requested");
  await expect(request).toContainText("The handle came off.");

  await page.reload();
  await waitForHydration(page);
  const returns = page.getByRole("region", { name: "Returns" });
  await expect(returns.getByTestId("return-status")).toHaveText("Requested");
  await returns.getByLabel("Note to the customer").fill("Sorry about that.");
  await returns.getByRole("button", { name: "Approve return" }).click();
  await expect(returns.getByTestId("return-status")).toHaveText("Approved");
  await returns.getByRole("button", { name: "Mark as received" }).click();
  await expect(returns.getByTestId("return-status")).toHaveText("Received");
  await returns.getByRole("button", { name: "Refund return" }).click();
  await expect(returns.getByTestId("return-status")).toHaveText("Refunded");
  await expect(returns.getByRole("list", { name: "Return history" })).toContainText(`Approved by`);
  await expect(page.getByTestId("refund")).toContainText("succeeded");

  await buyer.reload();
  await expect(buyer.getByTestId("return-status")).toHaveText("Refunded");
  await expect(buyer.getByTestId("refund-state")).toContainText("Partially refunded");
  await buyer.close();
  const approved = await emailTo(email, `Your return for order ${number} is approved`);
  expect(approved).toContain("1 Market Street");
  expect(approved).toContain("Sorry about that.");
});
