import { defineConfig, devices } from "@playwright/test";
import * as os from "node:os";
import * as path from "node:path";
import { SHOP, STRIPE_SHOP_URL } from "./tests/support";

const { root, binary, dataDir, baseURL } = SHOP;
// A second shop in Stripe mode, paying through a fake of Stripe's API, whose unpaid orders
// hold their stock for one minute (the shortest reservation there is).
const stripeShop = new URL(STRIPE_SHOP_URL);
const fakeStripePort = Number(process.env.E2E_FAKE_STRIPE_PORT ?? Number(stripeShop.port) + 1);
const stripeDataDir = path.join(os.tmpdir(), `emporium-e2e-stripe-${stripeShop.port}`);

export default defineConfig({
  testDir: "./tests",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [["list"]],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium: Playwright's own browser download is not reachable here.
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "desktop", use: { ...devices["Desktop Chrome"], channel: undefined } },
    { name: "phone", use: { ...devices["Pixel 7"], channel: undefined } },
  ],
  webServer: [
    {
      // Admin journeys make their own admins with `create-admin` (see tests/support.ts).
      command: `rm -rf '${dataDir}' && exec '${binary}' serve`,
      cwd: root,
      url: `${baseURL}/readyz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        ...SHOP.env,
        EMPORIUM_DEMO_PRODUCTS: "300",
        // Every journey signs up from 127.0.0.1; the hourly limit per address has its own test.
        EMPORIUM_SIGN_UPS_PER_HOUR: "100000",
        // The journeys all connect from 127.0.0.1; one that stands for other people's devices
        // says so in X-Forwarded-For, as a proxy in front of the shop would.
        EMPORIUM_TRUSTED_PROXIES: "127.0.0.1",
      },
    },
    {
      command: `node fake-stripe.mjs ${fakeStripePort}`,
      url: `http://127.0.0.1:${fakeStripePort}/health`,
      reuseExistingServer: false,
      timeout: 10_000,
    },
    {
      command: `rm -rf '${stripeDataDir}' && mkdir -p '${stripeDataDir}' && sed 's/^reservation-minutes = .*/reservation-minutes = 1/' Leptos.toml > '${stripeDataDir}/Leptos.toml' && exec '${binary}' serve`,
      cwd: root,
      url: `${STRIPE_SHOP_URL}/readyz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        LEPTOS_SITE_ADDR: stripeShop.host,
        DATABASE_URL: `sqlite://${stripeDataDir}/e2e.db`,
        EMPORIUM_DATA_DIR: stripeDataDir,
        EMPORIUM_CONFIG: `${stripeDataDir}/Leptos.toml`,
        EMPORIUM_DEMO_PRODUCTS: "20",
        STRIPE_SECRET_KEY: "sk_test_e2e",
        STRIPE_PUBLISHABLE_KEY: "pk_test_e2e",
        STRIPE_WEBHOOK_SECRET: "whsec_e2e",
        STRIPE_API_BASE: `http://127.0.0.1:${fakeStripePort}`,
        RUST_LOG: "warn",
      },
    },
  ],
});
