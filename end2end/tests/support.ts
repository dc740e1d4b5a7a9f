import { type APIRequestContext, type Browser, expect, type Page } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The password of every account the journeys create. */
export const PASSWORD = "violet tractor sings softly";

/** The admin account `playwright.config.ts` creates before the shop starts. */
export const ADMIN_EMAIL = "admin@e2e.test";
export const ADMIN_PASSWORD = "quiet harbour lantern maple";

/** The shop that runs in Stripe mode beside the main one (see playwright.config.ts). */
export const STRIPE_SHOP_URL = `http://127.0.0.1:${Number(process.env.E2E_STRIPE_PORT ?? 3110)}`;

export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** A word no other test run uses, for titles that must be found by search. */
export function uniqueWord(): string {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  let word = "";
  for (let i = 0; i < 10; i++) word += letters[Math.floor(Math.random() * letters.length)];
  return word;
}

export async function waitForHydration(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** Fills in and submits the sign-up form, as a person would. */
export async function register(page: Page, name: string, email: string) {
  await page.goto("/register");
  await waitForHydration(page);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await page.goto(await linkIn(email, "Confirm your email address", "verify-email"));
  await waitForHydration(page);
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await expect(page).toHaveURL("/");
}

/** The path of the `page` link in the email to `address` whose subject has `subject`. */
export async function linkIn(address: string, subject: string, page: string): Promise<string> {
  await emailTo(address, subject);
  return (await linksIn(address, subject, page))[0];
}

/** The paths of the `page` links in every email written so far to `address` whose subject has
 * `subject`, oldest first. The text may be quoted-printable: soft line breaks, and "=" written
 * as "=3D". */
export async function linksIn(address: string, subject: string, page: string): Promise<string[]> {
  const found = new RegExp(`https?://\\S+?/${page}\\?token=[0-9a-f]{64}`);
  return mails()
    .filter((mail) => mail.text.includes(`To: ${address}`) && mail.text.includes(subject))
    .sort((a, b) => a.id - b.id)
    .map((mail) => new URL(mail.text.replace(/=\r?\n/g, "").replace(/=3D/g, "=").match(found)![0]))
    .map((link) => link.pathname + link.search);
}

/** Fills in and submits the sign-in form shown on the current page. */
export async function signIn(page: Page, email: string, password: string) {
  await waitForHydration(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The account links sit behind the menu button on a phone. */
export async function openMenu(page: Page, isMobile: boolean) {
  if (isMobile) await page.getByRole("button", { name: "Menu" }).click();
}

export type Variant = { sku: string; price: number; stock: number };
export type Product = { slug: string; title: string; variants: Variant[] };

/** Formats minor units as the shop does: $1,234.50. */
export function money(minor: number): string {
  const whole = Math.floor(minor / 100).toLocaleString("en-US");
  return `$${whole}.${String(minor % 100).padStart(2, "0")}`;
}

/** The description of every product a spec makes: others pick only demo products, which no
 * spec changes or deletes and which have neighbours in their category. */
export const MADE_BY_A_SPEC = "Made for the journey that tests it.";

/** New arrivals of the demo catalog whose first variant has enough stock for the journey. */
export async function stockedProducts(page: Page, n: number): Promise<Product[]> {
  const home = await (await page.request.post("/api/load_home_catalog")).json();
  const found: Product[] = [];
  for (const card of home.featured as { slug: string }[]) {
    const product: Product & { description: string } = await (
      await page.request.post("/api/product", { form: { slug: card.slug } })
    ).json();
    if (product.variants[0].stock >= 5 && product.description !== MADE_BY_A_SPEC) found.push(product);
    if (found.length === n) return found;
  }
  throw new Error(`fewer than ${n} stocked products among the new arrivals`);
}

export async function addFromProductPage(page: Page, product: Product, quantity: number) {
  await page.goto(`/p/${product.slug}`);
  await waitForHydration(page);
  await page.getByLabel("Quantity").fill(String(quantity));
  await page.getByRole("button", { name: "Add to cart", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("Added to your cart.");
}


/** A browser context signed in as the admin, for setting the scene through the API. */
async function signedInAdmin(browser: Browser, baseURL: string) {
  const admin = await browser.newContext({ baseURL });
  const login = await admin.request.post("/api/login", {
    form: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    headers: { Origin: baseURL },
  });
  expect(login.ok()).toBe(true);
  return admin;
}

/** A new active product with one variant, made by the admin through the API. */
export async function freshProduct(
  browser: Browser,
  baseURL: string,
  title: string,
): Promise<{ page: string; id: string }> {
  const admin = await signedInAdmin(browser, baseURL);
  const headers = { Origin: baseURL };
  const categories: { slug: string; parent: string | null }[] = await (
    await admin.request.post("/api/admin_categories", { headers })
  ).json();
  const sku = uniqueWord().toUpperCase();
  const saved = await admin.request.post("/api/save_product", {
    form: {
      "product[title]": title,
      "product[slug]": "",
      "product[brand]": "Lumen & Co",
      "product[category]": categories.find((c) => c.parent !== null)!.slug,
      "product[description]": MADE_BY_A_SPEC,
      "product[status]": "active",
      "product[variants][0][sku]": sku,
      "product[variants][0][price]": "20.00",
      "product[variants][0][stock]": "10",
    },
    headers,
  });
  expect(saved.ok()).toBe(true);
  const id = await saved.text();
  const editor = await (await admin.request.post("/api/admin_product", { form: { id }, headers })).json();
  await admin.close();
  return { page: `/p/${editor.product.slug}`, id };
}

/** The admin deletes the product `id` through the API. */
export async function deleteProduct(browser: Browser, baseURL: string, id: string) {
  const admin = await signedInAdmin(browser, baseURL);
  const deleted = await admin.request.post("/api/delete_product", { form: { id }, headers: { Origin: baseURL } });
  expect(deleted.ok()).toBe(true);
  await admin.close();
}

/** The email the shop wrote to `address` whose subject contains `subject`: without SMTP the
 * shop writes each email to `<data-dir>/mail/{id}.eml`, and delivers every two seconds. */
export async function emailTo(address: string, subject: string): Promise<string> {
  const find = () =>
    mails().find(({ text }) => text.includes(`To: ${address}`) && text.includes(subject))?.text ?? "";
  await expect.poll(find, { timeout: 15_000 }).not.toBe("");
  return find();
}

/** A new shopper (signed in on `request`) orders `quantity` units of `sku` through the API, the way
 * the pages would; returns the order's number. With a `card` the offline test gateway charges it;
 * with none (a shop in Stripe mode, which takes cards on Stripe's side) the order waits for
 * payment. */
export async function placeOrder(
  request: APIRequestContext,
  baseURL: string,
  email: string,
  sku: string,
  quantity = "1",
  card = "4242 4242 4242 4242",
) {
  const headers = { Origin: baseURL };
  const post = async (path: string, form: Record<string, string>) => {
    const reply = await request.post(path, { form, headers });
    expect(reply.ok(), await reply.text()).toBe(true);
    return reply;
  };
  await post("/api/register", { name: "Omar Buyer", email, password: PASSWORD });
  await post("/api/login", { email, password: PASSWORD });
  await post("/api/add_to_cart", { sku, quantity });
  const address = await post("/api/save_address", {
    "address[full_name]": "Omar Buyer",
    "address[line1]": "1 Loop Road",
    "address[city]": "Springfield",
    "address[region]": "IL",
    "address[postal_code]": "62701",
    "address[country]": "US",
  });
  // The key the checkout page would carry: the shop issues it for this shopper and cart.
  const checkout = await (await post("/api/checkout", {})).json();
  const placed = await post("/api/place_order", {
    idempotency_key: checkout.idempotency_key,
    address_id: await address.text(),
    shipping: "standard",
    "card[number]": card,
    "card[expiry]": card ? "12/39" : "",
    "card[cvc]": card ? "123" : "",
  });
  return (await placed.json()).number as string;
}

/** Every email the main shop has written to its mail folder, with the outbox id its file is named by. */
function mails(): { id: number; text: string }[] {
  const dir = path.join(os.tmpdir(), `emporium-e2e-${process.env.E2E_PORT ?? 3100}`, "mail");
  return (fs.existsSync(dir) ? fs.readdirSync(dir) : []).map((file) => ({
    id: Number.parseInt(file, 10),
    text: fs.readFileSync(path.join(dir, file), "utf8"),
  }));
}
