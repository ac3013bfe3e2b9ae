// Sends the operations that were just typed (operations.graphql) to the
// live endpoint as the demo subscriber and checks each answer has the
// shape the generated types promise: the types describe what the server
// really returns. Usage: node run.mjs URL TOKEN
import { readFileSync } from "node:fs";

const [url, token] = process.argv.slice(2);
const document = readFileSync(new URL("operations.graphql", import.meta.url), "utf8");

async function send(operationName, variables) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "accept-language": "en" },
    body: JSON.stringify({ query: document, operationName, variables }),
  });
  const body = await res.json();
  if (res.status !== 200 || body.errors) {
    throw new Error(`${operationName}: HTTP ${res.status} ${JSON.stringify(body)}`);
  }
  return body.data;
}

function fail(msg) {
  console.error(`codegen-check: ${msg}`);
  process.exit(1);
}

const home = await send("HomeScreen", {});
if (!home.me || typeof home.me.id !== "string" || !Array.isArray(home.me.holdings) || home.me.holdings.length === 0) {
  fail(`HomeScreen answered ${JSON.stringify(home)}`);
}
for (const h of home.me.holdings) {
  if (typeof h.category.code !== "string" || !["IN_USE", "RETAINED_BY_STATUTE", "HELD", "DUE"].includes(h.retention.state)) {
    fail(`a holding not of the generated type: ${JSON.stringify(h)}`);
  }
}
const filed = await send("FileDispute", {
  input: { type: "DISPUTE", scope: { categories: ["applicant.name"] }, reason: "이름이 틀렸습니다", idempotencyKey: `codegen-check-${Date.now()}` },
});
if (filed.fileRequest.type !== "DISPUTE" || filed.fileRequest.status !== "SUBMITTED" || typeof filed.fileRequest.dueAt !== "string") {
  fail(`FileDispute answered ${JSON.stringify(filed)}`);
}
console.log(`codegen-check: HomeScreen (${home.me.holdings.length} holdings) and FileDispute (${filed.fileRequest.id}) answered as typed`);
