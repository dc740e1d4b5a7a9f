import { expect, test } from "@playwright/test";
import {
  ADMIN_PASSWORD,
  createAdmin,
  enterCode,
  openMenu,
  setUpTwoStep,
  signIn,
  totp,
  waitForHydration,
} from "./support";

const WRONG_CODE = "That code is not right.";

test("a new admin sets up two-step sign-in before the admin opens, then signs in with a code and with a recovery code", async ({
  page,
  isMobile,
}) => {
  // Its wrong codes are failures on purpose: they count on an address of their own (the shop
  // trusts 127.0.0.1 as its proxy), not on 127.0.0.1, which every journey shares.
  await page.setExtraHTTPHeaders({ "X-Forwarded-For": `203.0.113.${isMobile ? 8 : 7}` });
  const email = createAdmin();
  await page.goto("/admin/orders");
  await signIn(page, email, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/account\/security\?next=/);
  await expect(page.getByRole("alert")).toContainText("Staff accounts need two-step sign-in");
  const { secret, enrolledAt, recoveryCodes } = await setUpTwoStep(page, ADMIN_PASSWORD);
  await expect(page.getByText("10 recovery codes left.")).toBeVisible();
  await expect(page.getByText("Staff accounts keep two-step sign-in on.")).toBeVisible();
  await page.getByRole("link", { name: "Continue" }).click();
  await expect(page).toHaveURL("/admin/orders");
  await expect(page.getByRole("heading", { name: "Orders" })).toBeVisible();

  const signOut = async () => {
    await waitForHydration(page);
    await openMenu(page, isMobile);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL("/");
  };
  const passwordStep = async () => {
    await page.goto("/login?next=/admin");
    await signIn(page, email, ADMIN_PASSWORD);
    await expect(page.getByRole("heading", { name: "Two-step sign-in" })).toBeVisible();
  };

  // The code the app shows next (the one used to set it up works only once).
  await signOut();
  await passwordStep();
  await enterCode(page, totp(secret, enrolledAt));
  await expect(page.getByText(WRONG_CODE)).toBeVisible();
  await enterCode(page, totp(secret, enrolledAt + 30));
  await expect(page.getByRole("heading", { name: "Admin dashboard" })).toBeVisible();

  // Without the phone: a recovery code, once.
  await signOut();
  await passwordStep();
  await enterCode(page, recoveryCodes[0]);
  await expect(page.getByRole("heading", { name: "Admin dashboard" })).toBeVisible();
  await signOut();
  await passwordStep();
  await enterCode(page, recoveryCodes[0]);
  await expect(page.getByText(WRONG_CODE)).toBeVisible();
  await enterCode(page, recoveryCodes[1]);
  await expect(page.getByRole("heading", { name: "Admin dashboard" })).toBeVisible();
  await page.goto("/account/security");
  await expect(page.getByText("8 recovery codes left.")).toBeVisible();
});
