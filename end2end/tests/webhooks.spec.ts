import { expect, test } from "@playwright/test";
import { createHmac } from "node:crypto";
import { type IncomingHttpHeaders, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { freshProduct, signInAsAdmin, uniqueWord, waitForHydration, watchForErrors } from "./support";

type Received = { headers: IncomingHttpHeaders; body: string };

/** Another system's endpoint on this machine: it keeps what it is sent and answers 200. */
async function receiver() {
  const got: Received[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      got.push({ headers: request.headers, body });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, got, close: () => server.close() };
}

/** The check README tells a receiver to make: HMAC-SHA256 of `t.body` with the secret, recent. */
function signedWith(secret: string, { headers, body }: Received): boolean {
  const parts = Object.fromEntries(
    String(headers["emporium-signature"])
      .split(",")
      .map((part) => part.split("=")),
  );
  const expected = createHmac("sha256", secret).update(`${parts.t}.${body}`).digest("hex");
  return parts.v1 === expected && Math.abs(Date.now() / 1000 - Number(parts.t)) < 300;
}

test("the owner connects an endpoint, a product change reaches it signed, and Resend sends it again", async ({
  page,
  browser,
  baseURL,
}) => {
  const hook = await receiver();
  await page.goto("/login?next=/admin/webhooks");
  await signInAsAdmin(page);
  await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();
  await page.reload();
  await waitForHydration(page);

  await page.getByLabel("URL").fill(hook.url);
  await page.getByRole("button", { name: "Make endpoint" }).click();
  await expect(page.getByText("Tick at least one event.")).toBeVisible();
  // From here on nothing fails (the form's 422 above is the browser's only complaint).
  const errors = watchForErrors(page);
  await page.getByLabel(/A product was created or changed/).check();
  await page.getByRole("button", { name: "Make endpoint" }).click();
  const shown = page.getByTestId("webhook-secret");
  await expect(shown).toHaveText(/^whsec_[0-9a-f]{48}$/);
  const secret = (await shown.textContent())!.trim();
  await expect(page.getByTestId("webhook").filter({ hasText: hook.url })).toContainText("product.updated");

  // The catalog desk changes a price.
  const product = await freshProduct(browser, baseURL!, `Hooked lamp ${uniqueWord()}`);
  await page.goto(`/admin/products/${product.id}`);
  await waitForHydration(page);
  await page.getByLabel("Price", { exact: true }).first().fill("24.00");
  await page.getByRole("button", { name: "Save product" }).click();
  await expect(page.getByRole("status")).toHaveText("Product saved.");

  const changed = () =>
    hook.got.filter(({ body }) => {
      const event = JSON.parse(body);
      return (
        event.type === "product.updated" &&
        event.data.id === Number(product.id) &&
        event.data.variants[0].price_minor === 2400
      );
    });
  await expect.poll(() => changed().length, { timeout: 15_000 }).toBe(1);
  const first = changed()[0];
  expect(first.headers["emporium-event"]).toBe("product.updated");
  expect(signedWith(secret, first)).toBe(true);
  expect(signedWith("whsec_someone_else", first)).toBe(false);
  const event: string = JSON.parse(first.body).id;

  // The endpoint's log shows it delivered; Resend sends the same event again.
  await page.goto("/admin/webhooks");
  await page.getByRole("link", { name: hook.url }).click();
  await expect(page.getByRole("heading", { name: hook.url, level: 1 })).toBeVisible();
  await waitForHydration(page);
  const row = page.getByTestId("delivery").filter({ hasText: event });
  await expect(row.getByTestId("delivery-state")).toHaveText("Delivered (200)");
  await row.getByRole("button", { name: `Resend ${event}` }).click();
  await expect.poll(() => changed().length, { timeout: 15_000 }).toBe(2);
  expect(changed()[1].body).toBe(first.body);
  expect(signedWith(secret, changed()[1])).toBe(true);

  await page.getByRole("button", { name: "Pause" }).click();
  await expect(page.getByRole("button", { name: "Resume" })).toBeVisible();
  await page.getByRole("button", { name: "Delete endpoint" }).click();
  await expect(page).toHaveURL("/admin/webhooks");
  await expect(page.getByTestId("webhook").filter({ hasText: hook.url })).toHaveCount(0);
  expect(errors).toEqual([]);
  hook.close();
});
