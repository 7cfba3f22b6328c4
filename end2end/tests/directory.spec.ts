import { expect, test, type Page } from "@playwright/test";

// A scheduler whose people come only from a directory (a throwaway slapd,
// started with it by scripts/test.sh): saiacano exists there and not as a
// local account. The Call Bridge simulator has their LDAP user, given the
// template by an LDAP template source, and their personal space.
const LDAP = process.env.LDAP_BASE_URL;
const USER = "saiacano";
const PASSWORD = process.env.E2E_DIRECTORY_PASSWORD ?? "sai directory pw";
const NAME = `Test-XRP ${Date.now().toString(36)}`;

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

test("a directory person signs in with their directory password and books a meeting", async ({ page }) => {
  test.skip(!LDAP, "LDAP_BASE_URL is set by scripts/test.sh");
  await page.goto(`${LDAP}/login`);
  await hydrated(page);
  // A wrong directory password is refused like any other.
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\?error=invalid/);
  await expect(page.getByRole("alert")).toHaveText("Incorrect username or password.");
  await hydrated(page);
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();

  // Their name from the directory; their space from the Call Bridge.
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sai acano's Home");
  await hydrated(page);
  await expect(page.locator(".spaces .space-row .name")).toHaveText(["Saiacano's space"]);
  // Not an administrator: they are not in the directory's group.
  await expect(page.locator('a[href="/admin"]')).toHaveCount(0);

  await page.getByRole("link", { name: "Schedule meeting" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 1 of 3");
  await hydrated(page);
  await expect(page.getByText("no video spaces yet")).toHaveCount(0);
  await page.getByLabel("Name", { exact: true }).fill(NAME);
  // Both of the source document's choices: their space, or a new one from
  // the template the LDAP template source gave them.
  await expect(page.getByLabel("Existing space", { exact: true })).toContainText("Saiacano's space");
  await page.getByLabel("Create a space for this meeting").check();
  await expect(page.getByLabel("Template", { exact: true })).toContainText("CoSpaceTemp-Scheduler");
  await page.getByRole("button", { name: "Next" }).click();

  await expect(page.locator(".step-count")).toContainText("Step 2 of 3");
  await page.getByLabel("Date", { exact: true }).fill("2030-08-21");
  await page.getByLabel("From", { exact: true }).fill("20:00");
  await page.getByLabel("Duration (h:mm)", { exact: true }).fill("1:00");
  await expect(page.getByLabel("To", { exact: true })).toHaveValue("21:00");
  await page.getByRole("button", { name: "Next" }).click();

  await expect(page.locator(".step-count")).toContainText("Step 3 of 3");
  await page.getByLabel("E-mail", { exact: true }).fill("ivrman@s.com");
  await page.getByLabel("Role", { exact: true }).selectOption("ExternalAccessMeth");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator(".attendees .email")).toHaveText(["ivrman@s.com"]);
  await page.getByRole("button", { name: "Create" }).click();

  await expect(page.locator(".toast")).toContainText("Meeting created");
  const row = page.locator(".meeting", { hasText: NAME });
  await expect(row).toBeVisible();
  await expect(row.locator(".organizer")).toContainText("You");
  // The meeting's own space is not one of their spaces.
  await expect(page.locator(".spaces .space-row .name")).toHaveText(["Saiacano's space"]);
});
