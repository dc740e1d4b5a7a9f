import { expect, type Page } from "@playwright/test";

/** The password of every account the journeys create. */
export const PASSWORD = "violet tractor sings softly";

/** The admin account `playwright.config.ts` creates before the shop starts. */
export const ADMIN_EMAIL = "admin@e2e.test";
export const ADMIN_PASSWORD = "quiet harbour lantern maple";

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
