import { type APIRequestContext, type Browser, expect, type Page, request } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deflateSync } from "node:zlib";

/** The password of every account the journeys create. */
export const PASSWORD = "violet tractor sings softly";

/** The password of the admin accounts the journeys make with the shop's `create-admin`. */
export const ADMIN_PASSWORD = "quiet harbour lantern maple";

/** The shop the journeys use (`./shop test` passes the built binary, the app root and a free
 * port): it starts on a fresh SQLite database, which it fills with the demo catalog. */
export const SHOP = (() => {
  const port = Number(process.env.E2E_PORT ?? 3100);
  const dataDir = path.join(os.tmpdir(), `emporium-e2e-${port}`);
  return {
    port,
    baseURL: `http://127.0.0.1:${port}`,
    root: process.env.E2E_ROOT ?? path.resolve(__dirname, "../.."),
    binary: process.env.E2E_BINARY ?? path.join(os.homedir(), ".cache/emporium/target/debug/emporium"),
    dataDir,
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: `sqlite://${dataDir}/e2e.db`,
      EMPORIUM_DATA_DIR: dataDir,
      RUST_LOG: "warn",
    },
  };
})();

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
/** Collects console errors and uncaught exceptions (CSP violations included), for a test to
 * expect none. */
export function watchForErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

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

/** Demo products whose first variant has enough stock for the journey: the new arrivals first,
 * then the best rated (by the end of a run the specs' own products, the newest, fill the new
 * arrivals). */
export async function stockedProducts(page: Page, n: number): Promise<Product[]> {
  const home = await (await page.request.post("/api/load_home_catalog")).json();
  const rated = await (await page.request.post("/api/search", { form: { "raw[sort]": "rating" } })).json();
  const found: Product[] = [];
  for (const card of [...home.featured, ...rated.items] as { slug: string }[]) {
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


/** The code an authenticator app with the base32 `secret` shows at `unixSecs` (RFC 6238). */
export function totp(secret: string, unixSecs: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = [...secret.replace(/ /g, "")].map((c) => alphabet.indexOf(c).toString(2).padStart(5, "0")).join("");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((byte) => Number.parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSecs / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** A new admin account, made as an operator would, with the shop's `create-admin`. */
export function createAdmin(): string {
  const email = uniqueEmail("admin");
  execFileSync(SHOP.binary, ["create-admin", "--email", email], {
    cwd: SHOP.root,
    env: { ...process.env, ...SHOP.env, EMPORIUM_ADMIN_PASSWORD: ADMIN_PASSWORD },
  });
  return email;
}

/** Runs the recommendation engine now, as the shop's job does every ten minutes. */
export function rebuildRecommendations() {
  execFileSync(SHOP.binary, ["recs", "rebuild"], { cwd: SHOP.root, env: { ...process.env, ...SHOP.env } });
}

export type Admin = { email: string; secret: string; enrolledAt: number };

/** A new admin, signed in on `api`, with two-step sign-in set up through the API as the
 * security page does it (staff need it before the admin opens). */
export async function enrolledAdmin(api: APIRequestContext): Promise<Admin> {
  const email = createAdmin();
  const headers = { Origin: SHOP.baseURL };
  const login = await api.post("/api/login", { form: { email, password: ADMIN_PASSWORD }, headers });
  expect(login.ok()).toBe(true);
  const setup = await api.post("/api/start_two_factor", { headers });
  expect(setup.ok()).toBe(true);
  const secret: string = (await setup.json()).secret;
  const enrolledAt = Date.now() / 1000;
  const confirmed = await api.post("/api/confirm_two_factor", {
    form: { code: totp(secret, enrolledAt), password: ADMIN_PASSWORD },
    headers,
  });
  expect(confirmed.ok()).toBe(true);
  return { email, secret, enrolledAt };
}

/** Signs in as a new admin on the sign-in page shown, password then code, as a person would. */
export async function signInAsAdmin(page: Page): Promise<string> {
  const api = await request.newContext({ baseURL: SHOP.baseURL });
  const admin = await enrolledAdmin(api);
  await api.dispose();
  await signIn(page, admin.email, ADMIN_PASSWORD);
  // The code enrolment used works only once; the app's next one is accepted a step early.
  await enterCode(page, totp(admin.secret, admin.enrolledAt + 30));
  return admin.email;
}

/** Sets up two-step sign-in on the security page shown, as a person would: types the key shown
 * beside the QR code into "their app", enters the app's code and the password, and keeps the
 * recovery codes the page shows once. */
export async function setUpTwoStep(page: Page, password: string) {
  await waitForHydration(page);
  await page.getByRole("button", { name: "Set up two-step sign-in" }).click();
  await expect(page.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  const secret = (await page.getByTestId("totp-key").textContent())!;
  const enrolledAt = Date.now() / 1000;
  await page.getByLabel("Code from the app").fill(totp(secret, enrolledAt));
  await page.getByLabel("Your password").fill(password);
  await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  return { secret, enrolledAt, recoveryCodes: await codes.allTextContents() };
}

/** Enters `code` on the second step of signing in. */
export async function enterCode(page: Page, code: string) {
  await expect(page).toHaveURL(/\/login\/code/);
  await waitForHydration(page);
  await page.getByLabel("Code").fill(code);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** A browser context signed in as a new admin, for setting the scene through the API. */
async function signedInAdmin(browser: Browser, baseURL: string) {
  const admin = await browser.newContext({ baseURL });
  await enrolledAdmin(admin.request);
  return admin;
}

/** A new active product with one variant, made by the admin through the API. */
export async function freshProduct(
  browser: Browser,
  baseURL: string,
  title: string,
): Promise<{ page: string; id: string; sku: string }> {
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
  return { page: `/p/${editor.product.slug}`, id, sku };
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
  sku: string | string[],
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
  for (const one of [sku].flat()) await post("/api/add_to_cart", { sku: one, quantity });
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
  const dir = path.join(SHOP.dataDir, "mail");
  return (fs.existsSync(dir) ? fs.readdirSync(dir) : []).map((file) => ({
    id: Number.parseInt(file, 10),
    text: fs.readFileSync(path.join(dir, file), "utf8"),
  }));
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A `width` × `height` PNG picture (8-bit RGB, its colours changing across it, as a photo's
 * do), as a camera or an editor would save one. */
export function pngPicture(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // RGB
  const stride = width * 3 + 1;
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      rows.set([x & 255, y & 255, (x + y) & 255], y * stride + 1 + x * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
