import { expect, test, type Page } from "@playwright/test";

const PASSWORD = "violet tractor sings softly";

function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

async function waitForHydration(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** Fills in and submits the sign-up form, as a person would. */
async function register(page: Page, name: string, email: string) {
  await page.goto("/register");
  await waitForHydration(page);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
}

/** Fills in and submits the sign-in form shown on the current page. */
async function signIn(page: Page, email: string, password: string) {
  await waitForHydration(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The account links sit behind the menu button on a phone. */
async function openMenu(page: Page, isMobile: boolean) {
  if (isMobile) await page.getByRole("button", { name: "Menu" }).click();
}

test("register, stay signed in, sign out, sign in again, and return to a protected page", async ({
  page,
  isMobile,
}) => {
  const email = uniqueEmail("journey");

  await register(page, "Rosa Parks", email);

  await expect(page).toHaveURL("/");
  await openMenu(page, isMobile);
  await expect(page.getByTestId("user-name")).toHaveText("Rosa Parks");

  await page.reload();
  await waitForHydration(page);
  await openMenu(page, isMobile);
  await expect(page.getByTestId("user-name")).toHaveText("Rosa Parks");

  await page.getByRole("button", { name: "Sign out" }).click();
  await openMenu(page, isMobile);
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();

  await page.goto("/account/security");
  await expect(page).toHaveURL("/login?next=/account/security");
  await signIn(page, email, PASSWORD);

  await expect(page).toHaveURL("/account/security");
  await expect(page.getByRole("heading", { name: "Sign-in and security" })).toBeVisible();
});

test("a wrong password shows one clear message and signs nobody in", async ({ page }) => {
  const email = uniqueEmail("wrong");
  const response = await page.request.post("/api/register", {
    form: { name: "Wes", email, password: PASSWORD },
  });
  expect(response.status()).toBe(200);
  await page.context().clearCookies();

  await page.goto("/login");
  await signIn(page, email, "not my password");
  await expect(page.getByRole("alert")).toHaveText("That email and password don't match an account.");
  await expect(page).toHaveURL("/login");
});

test("a new password signs out the other device", async ({ page: laptop, browser, baseURL }) => {
  const email = uniqueEmail("change");
  await register(laptop, "Lin", email);
  await expect(laptop).toHaveURL("/");

  const phone = await (await browser.newContext({ baseURL })).newPage();
  await phone.goto("/login?next=/account/security");
  await signIn(phone, email, PASSWORD);
  await expect(phone).toHaveURL("/account/security");

  await laptop.goto("/account/security");
  await waitForHydration(laptop);
  await laptop.getByLabel("Current password").fill(PASSWORD);
  await laptop.getByLabel("New password").fill("amber glacier waltz quietly");
  await laptop.getByRole("button", { name: "Change password" }).click();
  await expect(laptop.getByRole("status")).toContainText("Password changed");

  // The phone's access token would last 15 minutes; drop it to force the refresh, which fails.
  const cookies = await phone.context().cookies();
  await phone.context().clearCookies();
  await phone.context().addCookies(cookies.filter((c) => c.name !== "emporium_access"));
  await phone.goto("/account/security");
  await expect(phone).toHaveURL("/login?next=/account/security");
});
