import { expect, test } from "@playwright/test";
import { signInAsAdmin, uniqueWord, waitForHydration, watchForErrors } from "./support";

test("the admin makes an API key, another system reads the catalog with it, and revoking it shuts it out", async ({
  page,
  request,
}) => {
  // Signing in moves to the page inside the app; the reload loads it from the server.
  await page.goto("/login?next=/admin/api-keys");
  await signInAsAdmin(page);
  await expect(page.getByRole("heading", { name: "API keys", level: 1 })).toBeVisible();
  await page.reload();
  await waitForHydration(page);

  await page.getByRole("button", { name: "Make key" }).click();
  await expect(page.getByText("Name the key after the system that uses it")).toBeVisible();
  await expect(page.getByText("Tick at least one thing the key may do.")).toBeVisible();
  // From here on nothing fails (the form's 422 above is the browser's only complaint).
  const errors = watchForErrors(page);

  const name = `Warehouse ${uniqueWord()}`;
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel(/Read products/).check();
  await page.getByRole("button", { name: "Make key" }).click();
  const shown = page.getByTestId("new-key");
  await expect(shown).toHaveText(/^emp_[0-9a-f]{8}_[0-9a-f]{48}$/);
  const key = (await shown.textContent())!.trim();
  const row = page.getByTestId("api-key").filter({ hasText: name });
  await expect(row.getByTestId("api-key-status")).toHaveText("Active");
  await expect(row).toContainText("catalog:read");
  await expect(row).not.toContainText(key.slice(13));

  const bearer = { Authorization: `Bearer ${key}` };
  const products = await request.get("/api/v1/products?limit=3", { headers: bearer });
  expect(products.status()).toBe(200);
  expect((await products.json()).data).toHaveLength(3);
  expect((await request.get("/api/v1/orders", { headers: bearer })).status()).toBe(403);

  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(row.getByTestId("api-key-status")).toHaveText("Revoked");
  const refused = await request.get("/api/v1/products", { headers: bearer });
  expect(refused.status()).toBe(401);
  expect(refused.headers()["content-type"]).toBe("application/problem+json");

  // The reference, one link away: every route with its scope, read from the OpenAPI document.
  await page.getByRole("link", { name: "API reference" }).click();
  await expect(page.getByRole("heading", { name: "API reference", level: 1 })).toBeVisible();
  const batch = page.getByTestId("api-operation").filter({
    has: page.getByRole("heading", { name: "PUT /api/v1/inventory", exact: true }),
  });
  await expect(batch).toContainText("inventory:write");
  await expect(batch).toContainText("StockBatch");
  await expect(page.getByRole("link", { name: "the OpenAPI document" })).toHaveAttribute("href", "/api/v1/openapi.json");
  expect(errors).toEqual([]);
});
