// The viewer's own security events, newest first, a page at a time.
import { gql } from "../api.js";
import { $, el, onClick, when } from "../ui.js";

const EVENTS = `query ViewerEvents($after: String) {
  viewer { securityEvents(first: 10, after: $after) {
    edges { node { id type occurredAt actorKind ipAddress userAgent } }
    pageInfo { hasNextPage endCursor } } }
}`;

let after = null;
let wired = false;

export async function showEvents({ more = false } = {}) {
  if (!wired) {
    wired = true;
    onClick($("#events-more"), $("#events-form"), () => showEvents({ more: true }));
  }
  if (!more) after = null;
  const { viewer } = await gql(EVENTS, { after });
  if (!viewer) return;
  const { edges, pageInfo } = viewer.securityEvents;
  const items = edges.map(({ node }) => el("li", {},
    el("strong", {}, node.type), ` ${when(node.occurredAt)}`,
    node.actorKind === "ADMIN" ? " by an administrator" : "",
    node.ipAddress ? ` from ${node.ipAddress}` : ""));
  if (more) $("#events-list").append(...items);
  else $("#events-list").replaceChildren(...items);
  after = pageInfo.endCursor;
  $("#events-more").hidden = !pageInfo.hasNextPage;
}
