// Run the GraphQL-over-HTTP spec authors' server audit against URL (argv[2]); print one JSON line
// per audit ({id, name, status, reason}) and exit 0. The pytest test decides what counts as passing.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://host:port/graphql');
  process.exit(2);
}
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  const line = { id: audit.id, name: audit.name, status: result.status };
  if (result.status !== 'ok') line.reason = result.reason;
  console.log(JSON.stringify(line));
}
