import { defineConfig, devices } from "@playwright/test";
import config from "./playwright.config";
import { SHOP } from "./tests/support";

// The release build's budgets (`./shop test` and `./shop build` run them with E2E_BINARY set to
// the release binary): what each page makes a phone download before it is interactive.
const [shop] = Array.isArray(config.webServer) ? config.webServer : [config.webServer!];

export default defineConfig({
  testDir: "./budget",
  workers: 1,
  reporter: [["list"]],
  timeout: 120_000,
  use: { ...config.use, ...devices["Pixel 7"], channel: undefined },
  webServer: { ...shop, url: `${SHOP.baseURL}/readyz` },
});
