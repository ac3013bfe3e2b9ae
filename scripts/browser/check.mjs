// Drives Debian's Chromium, headless, through the development explorer at
// / (scripts/browser-check.sh): the page loads with every request to any
// host but 127.0.0.1 refused, the editor appears, the Docs pane lists the
// schema's root types and the fields of Query, and the prefilled `me`
// query, run with the prefilled demo token, answers the demo subscriber.
// Any request the page makes to another host fails the check.
//
//   node check.mjs BASE_URL [SCREENSHOT.png]
import { chromium } from "playwright-core";

const [base, screenshot] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const step = (msg) => console.log(`browser-check: ${msg}`);

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    // No name resolves but the loopback address: no network, whatever the page asks.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  ],
});
const problems = [];
const elsewhere = [];
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, serviceWorkers: "block" });
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    elsewhere.push(url.href);
    return route.abort("internetdisconnected");
  });
  const page = await context.newPage();
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  page.setDefaultTimeout(30_000);

  const res = await page.goto(`${base}/`, { waitUntil: "load" });
  if (!res || res.status() !== 200) throw new Error(`GET / answered ${res?.status()}`);
  await page.locator(".graphiql-query-editor .CodeMirror").waitFor();
  step("GraphiQL's editor is up");

  // The Docs pane: the schema introspected, its root types listed.
  await page.getByRole("button", { name: "Show Documentation Explorer" }).click();
  const docs = page.locator(".graphiql-doc-explorer");
  await docs.getByText("Root Types").waitFor();
  const rootRows = docs.locator("div:has(> .graphiql-doc-explorer-root-type)");
  const roots = (await rootRows.allTextContents()).map((r) => r.replace(/\s+/g, " ").trim());
  for (const want of ["query: Query", "mutation: Mutation", "subscription: Subscription"]) {
    if (!roots.includes(want)) {
      throw new Error(`the Docs pane lists root types ${JSON.stringify(roots)}, without ${want}`);
    }
  }
  await rootRows.first().getByRole("link", { name: "Query", exact: true }).click();
  await docs.locator(".graphiql-doc-explorer-field-name", { hasText: /^me$/ }).waitFor();
  await docs.locator(".graphiql-doc-explorer-field-name", { hasText: /^policy$/ }).waitFor();
  step(`the Docs pane lists ${roots.join(", ")}; Query has me and policy`);

  // Run the prefilled `me` query with the prefilled demo token.
  const editor = await page.locator(".graphiql-query-editor .CodeMirror").evaluate((el) => el.CodeMirror.getValue());
  if (!/\bme\s*\{/.test(editor)) throw new Error(`the editor does not start with a me query: ${editor}`);
  await page.locator(".graphiql-execute-button").click();
  const response = page.locator(".graphiql-response .CodeMirror");
  await page.waitForFunction(() => {
    const cm = document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror;
    return cm && cm.getValue().includes('"data"');
  });
  const text = await response.evaluate((el) => el.CodeMirror.getValue());
  const body = JSON.parse(text);
  if (body.errors || body.data?.me?.id !== "demo-sub-active" || !(body.data.me.holdings?.length > 0)) {
    throw new Error(`the me query answered ${text}`);
  }
  step(`the me query answered the demo subscriber with ${body.data.me.holdings.length} holdings`);

  if (screenshot) await page.screenshot({ path: screenshot });
} catch (err) {
  problems.push(err.message);
} finally {
  await browser.close();
}
if (elsewhere.length) problems.unshift(`the page asked for other hosts: ${elsewhere.join(", ")}`);
if (problems.length) {
  for (const p of problems) console.error(`browser-check: ${p}`);
  process.exit(1);
}
step("passed");
