import { expect, test, type Page } from "@playwright/test";
import { stockedProducts, waitForHydration, watchForErrors } from "./support";

// The account's and the admin's pages are lazy routes: their code arrives in chunks of their
// own. Every page must work when loaded from the server (hydrating after its chunks arrive) and
// when the browser moves to it from a page of the other kind.

/** Moves to `path` the way a link in the app does, without loading a document. */
async function follow(page: Page, path: string) {
  await page.evaluate((href) => {
    const link = document.createElement("a");
    link.href = href;
    document.body.append(link);
    link.click();
    link.remove();
  }, path);
}

async function somePages(page: Page): Promise<[string, string | RegExp][]> {
  const [product] = await stockedProducts(page, 1);
  const home = await (await page.request.post("/api/load_home_catalog")).json();
  const department = home.departments[0];
  return [
    ["/", "Emporium: everything, delivered"],
    [`/p/${product.slug}`, product.title],
    ["/search?q=bag", "Results for “bag”"],
    [`/c/${department.slug}`, department.name],
    ["/cart", "Your cart"],
    ["/checkout", /^(Checkout|Sign in)$/],
    ["/login", "Sign in"],
    ["/register", "Create an account"],
    ["/forgot-password", "Forgot your password?"],
    ["/wishlist", /^(Your wishlist|Sign in)$/],
    ["/", "Emporium: everything, delivered"],
  ];
}

test("each page works when loaded from the server", async ({ page }) => {
  for (const [path, heading] of await somePages(page)) {
    const errors = watchForErrors(page);
    await page.goto(path);
    await waitForHydration(page);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
    expect(errors, path).toEqual([]);
  }
});

test("each page works when the browser moves to it", async ({ page }) => {
  const pages = await somePages(page);
  const errors = watchForErrors(page);
  await page.goto("/check-your-email");
  await waitForHydration(page);
  // A document the browser loads anew would lose this.
  await page.evaluate(() => Object.assign(window, { stayed: true }));
  for (const [path, heading] of pages) {
    await follow(page, path);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
    expect(await page.evaluate(() => "stayed" in window), path).toBe(true);
  }
  expect(errors).toEqual([]);
});

test("a page whose code cannot be downloaded says so and offers to load it again", async ({ page }) => {
  await page.goto("/");
  await waitForHydration(page);
  await page.route(/\/pkg\/chunk_[^/]*\.wasm$/, (route) => route.abort());
  await follow(page, "/forgot-password");
  const notice = page.getByRole("alert").filter({ hasText: "This page stopped working" });
  await expect(notice).toBeVisible();

  await page.unrouteAll();
  await notice.getByRole("link", { name: "Reload the page" }).click();
  await waitForHydration(page);
  await expect(notice).toHaveCount(0);
});
