import { expect, test, type Page } from "@playwright/test";

const USER = process.env.DEMO_USER ?? "demo";
const PASSWORD = process.env.DEMO_PASSWORD ?? "demo-scheduler";

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

async function signIn(page: Page, username: string, password: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a guest is sent to the sign-in page and can join a meeting", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.getByRole("link", { name: "join a meeting" }).click();
  await expect(page.getByRole("heading", { name: "Join a meeting" })).toBeVisible();
});

test("a wrong password gives a clear error", async ({ page }) => {
  await signIn(page, USER, "not-the-password");
  await expect(page).toHaveURL(/\/login\?error=invalid/);
  await expect(page.getByRole("alert")).toHaveText("Incorrect username or password.");
  await expect(page.getByLabel("Username")).toBeVisible();
});

test("sign in shows the home page, sign out returns to sign-in", async ({ page }) => {
  await signIn(page, USER, PASSWORD);
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/'s Home$/);
  await expect(page.getByText(/^(Last login .* at \d\d:\d\d|This is your first sign-in\. Welcome!)$/)).toBeVisible();
  await expect(page.getByRole("link", { name: "Join a meeting" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Schedule meeting" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "My scheduled meetings" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "My spaces" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
});

test("the sign-in form works with the keyboard alone", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").focus();
  await page.keyboard.type(USER);
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/'s Home$/);
});

test("the home page fits a phone's width", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await signIn(page, USER, PASSWORD);
  await hydrated(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.getByRole("link", { name: "Schedule meeting" })).toBeInViewport();
});
