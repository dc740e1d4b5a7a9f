import { expect, test } from "@playwright/test";
import { PASSWORD, linkIn, linksIn, openMenu, register, signIn, uniqueEmail, waitForHydration } from "./support";

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

test("a shopper who forgot the password sets a new one from the emailed link, is signed in, and the old sessions end", async ({
  page,
  browser,
  baseURL,
  isMobile,
}) => {
  const email = uniqueEmail("forgot");
  // Signed in on another device before forgetting.
  const laptop = await browser.newContext({ baseURL });
  const registered = await laptop.request.post("/api/register", {
    form: { name: "Fern Gully", email, password: PASSWORD },
    headers: { Origin: baseURL! },
  });
  expect(registered.ok()).toBe(true);
  const signedIn = await laptop.request.post("/api/login", {
    form: { email, password: PASSWORD },
    headers: { Origin: baseURL! },
  });
  expect(signedIn.ok()).toBe(true);

  await page.goto("/login");
  await waitForHydration(page);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page.getByRole("heading", { name: "Forgot your password?" })).toBeVisible();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send link" }).click();
  await expect(page.getByRole("status")).toContainText("If an account exists for that email");

  const link = await linkIn(email, "Reset your Emporium password", "reset-password");
  await page.goto(link);
  await waitForHydration(page);
  await page.getByLabel("New password").fill("amber glacier waltz quietly");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL("/account");
  await openMenu(page, isMobile);
  await expect(page.getByTestId("user-name")).toHaveText("Fern Gully");

  // The laptop's session has ended: once its 15-minute access token is gone, nothing renews it.
  await laptop.clearCookies({ name: "emporium_access" });
  const who = await laptop.request.post("/api/current_user", { headers: { Origin: baseURL! } });
  expect(await who.text()).toBe("null");
  await laptop.close();

  // The link worked once.
  await page.goto(link);
  await expect(page.getByText("This link has expired or has been used already.")).toBeVisible();
});

test("a new shopper signs in before confirming, sees the banner, asks for the email again, and confirms", async ({
  page,
  isMobile,
}) => {
  const email = uniqueEmail("banner");
  await page.goto("/register");
  await waitForHydration(page);
  await page.getByLabel("Name").fill("Bea Banner");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await page.getByRole("link", { name: "sign in", exact: true }).click();
  await signIn(page, email, PASSWORD);
  const banner = page.getByRole("region", { name: "Confirm your email" });
  await expect(banner).toContainText(`we sent a link to ${email}`);
  await banner.getByRole("button", { name: "Resend email" }).click();
  await expect(banner.getByRole("status")).toHaveText("Sent. Check your inbox.");

  // The newest link is the one that works.
  await expect.poll(async () => (await linksIn(email, "Confirm your email address", "verify-email")).length).toBe(2);
  const [, newest] = await linksIn(email, "Confirm your email address", "verify-email");
  await page.goto(newest);
  await waitForHydration(page);
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await expect(page).toHaveURL("/");
  await openMenu(page, isMobile);
  await expect(page.getByTestId("user-name")).toHaveText("Bea Banner");
  await expect(page.getByRole("region", { name: "Confirm your email" })).toHaveCount(0);
});

test("an owner whose password sign-in is paused by someone else's failures gets in by the emailed link", async ({
  page,
  isMobile,
}) => {
  const email = uniqueEmail("paused");
  await page.request.post("/api/register", { form: { name: "Pia Paused", email, password: PASSWORD } });
  // Five wrong passwords for the account from elsewhere (other addresses, so the journeys'
  // own address keeps its count).
  for (let n = 0; n < 5; n++) {
    const wrong = await page.request.post("/api/login", {
      form: { email, password: "not the password" },
      headers: { "X-Forwarded-For": `198.51.100.${n + 1}` },
    });
    expect(wrong.status()).toBe(400);
  }
  await page.goto("/login");
  await signIn(page, email, PASSWORD);
  await expect(page.getByRole("alert")).toContainText("Too many attempts");
  await page.getByRole("link", { name: "get a link by email" }).click();
  // The sign-in page, whose field is also "Email", stays until the next page's code arrives.
  await expect(page.getByRole("heading", { name: "Forgot your password?" })).toBeVisible();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send link" }).click();
  await expect(page.getByRole("status")).toContainText("If an account exists for that email");
  await page.goto(await linkIn(email, "Reset your Emporium password", "reset-password"));
  await waitForHydration(page);
  await page.getByLabel("New password").fill("amber glacier waltz quietly");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL("/account");
  await openMenu(page, isMobile);
  await expect(page.getByTestId("user-name")).toHaveText("Pia Paused");
});
