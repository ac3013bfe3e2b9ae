// Runs the GraphQL-over-HTTP conformance audits of the graphql-http project
// (MUST and SHOULD) against a running portal and fails on any that does not
// pass. Usage: node graphql-http-audit.mjs http://127.0.0.1:PORT/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node graphql-http-audit.mjs URL');
  process.exit(2);
}
let passed = 0;
let failed = 0;
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  if (result.status === 'ok') {
    passed++;
    continue;
  }
  failed++;
  console.log(`${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason}`);
}
console.log(`graphql-http audits: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
