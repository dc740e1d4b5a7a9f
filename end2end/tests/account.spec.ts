import { expect, test } from "@playwright/test";
import * as fs from "node:fs";
import { PASSWORD, emailTo, linkIn, openMenu, register, signIn, uniqueEmail, waitForHydration } from "./support";

test("a shopper changes their name and email, and chooses how to be told about orders", async ({
  page,
  isMobile,
}) => {
  const email = uniqueEmail("profile");
  await register(page, "Rosa Parks", email);
  await expect(page.getByTestId("user-name")).toHaveText("Rosa Parks");
  await waitForHydration(page);
  await openMenu(page, isMobile);
  await page.getByTestId("user-name").click();
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();

  const details = page.getByRole("region", { name: "Your details" });
  await details.getByLabel("Name", { exact: true }).fill("Rosa L. Parks");
  await details.getByRole("button", { name: "Save details" }).click();
  await expect(details.getByRole("status")).toHaveText("Details saved.");
  await expect(page.getByTestId("user-name")).toHaveText("Rosa L. Parks");

  // A new email needs the current password.
  const newEmail = uniqueEmail("profile.new");
  await details.getByLabel("Email", { exact: true }).fill(newEmail);
  await details.getByRole("button", { name: "Save details" }).click();
  await expect(details.getByText("Enter your current password to change your email.")).toBeVisible();
  await details.getByLabel("Current password", { exact: false }).fill(PASSWORD);
  await details.getByRole("button", { name: "Save details" }).click();
  await expect(details.getByText("Enter your current password to change your email.")).toBeHidden();
  // It changes once the new address confirms it; the old one is told.
  await expect(details.getByRole("status")).toContainText(`We sent a link to ${newEmail}`);
  await emailTo(email, "Your Emporium email is about to change");
  await page.goto(await linkIn(newEmail, "Confirm your email address", "verify-email"));
  await waitForHydration(page);
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await expect(page).toHaveURL("/");
  await page.goto("/account");
  await expect(details.getByLabel("Email", { exact: true })).toHaveValue(newEmail);

  const preferences = page.getByRole("region", { name: "Notifications" });
  await expect(preferences.getByLabel("Order updates by email")).toBeChecked();
  await expect(preferences.getByLabel("News and offers by email")).not.toBeChecked();
  await waitForHydration(page);
  await preferences.getByLabel("Order updates in the shop").uncheck();
  await preferences.getByLabel("News and offers by email").check();
  await preferences.getByRole("button", { name: "Save preferences" }).click();
  await expect(preferences.getByRole("status")).toHaveText("Preferences saved.");
  await page.reload();
  await expect(preferences.getByLabel("Order updates in the shop")).not.toBeChecked();
  await expect(preferences.getByLabel("News and offers by email")).toBeChecked();
});

test("a shopper downloads everything the shop holds about them, deletes the account, and can no longer sign in", async ({
  page,
  isMobile,
}) => {
  const email = uniqueEmail("mydata");
  await register(page, "Dana Data", email);
  await waitForHydration(page);
  await openMenu(page, isMobile);
  await page.getByTestId("user-name").click();
  await page.getByRole("link", { name: "Your data" }).click();
  await expect(page.getByRole("heading", { name: "Your data" })).toBeVisible();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download your data" }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("emporium-data.json");
  const data = JSON.parse(fs.readFileSync(await download.path(), "utf8"));
  expect(data.profile).toMatchObject({ name: "Dana Data", email, email_verified: true });
  expect(Array.isArray(data.orders)).toBe(true);

  await waitForHydration(page);
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("Type DELETE to confirm").fill("delete");
  await page.getByRole("button", { name: "Delete my account" }).click();
  await expect(page.getByText("Type DELETE to confirm.")).toBeVisible();
  await page.getByLabel("Type DELETE to confirm").fill("DELETE");
  await page.getByRole("button", { name: "Delete my account" }).click();
  await expect(page).toHaveURL("/");
  await openMenu(page, isMobile);
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await page.goto("/login");
  await signIn(page, email, PASSWORD);
  await expect(page.getByRole("alert")).toContainText("don't match an account");
});
