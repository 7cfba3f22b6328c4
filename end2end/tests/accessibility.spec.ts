import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";

const USER = process.env.DEMO_USER ?? "demo";
const PASSWORD = process.env.DEMO_PASSWORD ?? "demo-scheduler";

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

async function noViolations(page: Page, what: string) {
  await hydrated(page);
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(summary, `axe violations on ${what}`).toEqual([]);
}

test("every page has no axe violations, in English and in French", async ({ page }) => {
  await page.goto("/login");
  await noViolations(page, "sign-in");
  await page.goto("/login?error=invalid");
  await noViolations(page, "sign-in with an error");
  await page.goto("/join");
  await noViolations(page, "join a meeting");

  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/'s Home$/);
  await noViolations(page, "home");

  await page.goto("/schedule");
  await noViolations(page, "wizard step 1");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator("#name-error")).toBeVisible();
  await noViolations(page, "wizard step 1 with an error");
  await page.getByLabel("Name", { exact: true }).fill(`Axe ${Date.now()}`);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 2 of 3");
  await noViolations(page, "wizard step 2");
  await page.getByLabel("Date", { exact: true }).fill("2031-01-15");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 3 of 3");
  await page.getByLabel("E-mail", { exact: true }).fill("a11y@example.com");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator(".attendees .email")).toHaveText(["a11y@example.com"]);
  await noViolations(page, "wizard step 3");
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.locator(".toast")).toContainText("Meeting created");
  await noViolations(page, "home with a meeting and a toast");

  await page.locator(".meeting a.name").first().click();
  await expect(page.getByRole("link", { name: "Dial-in information" })).toBeVisible();
  await noViolations(page, "meeting");
  await page.getByRole("link", { name: "Dial-in information" }).click();
  await expect(page.locator(".dial-in").first()).toBeVisible();
  await noViolations(page, "dial-in information");
  await page.getByRole("link", { name: "Delete", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Delete this meeting?" })).toBeVisible();
  await noViolations(page, "delete confirmation");

  await page.goto("/meetings");
  await noViolations(page, "all meetings");

  await page.getByRole("link", { name: "Français" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Mes réunions planifiées");
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
  await noViolations(page, "all meetings in French");
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Accueil de /);
  await noViolations(page, "home in French");
  // The demo organizer is also the administrator.
  await page.getByRole("link", { name: "Administration" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Administration");
  await expect(page.getByRole("heading", { name: "File d'envoi des e-mails" })).toBeVisible();
  // The demo's three simulated web bridges, connected over C2W.
  await expect(page.locator('tr.bridge[data-state="UP"]')).toHaveCount(3);
  await noViolations(page, "administration in French");
  await page.goto("/");
  await page.getByRole("link", { name: "English" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/'s Home$/);
});
