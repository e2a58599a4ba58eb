// The viewer's active sessions: revoke one, sign out everywhere else, sign out.
import { gql, mutate } from "../api.js";
import { $, actionButton, announce, el, onClick, when } from "../ui.js";

const SESSIONS = `query ViewerSessions {
  viewer { sessions(first: 50) { totalCount edges { node {
    id isCurrent isImpersonation userAgent ipAddress createdAt expiresAt } } } }
}`;
const REVOKE = `mutation RevokeSession($id: ID!) { revokeSession(id: $id) { session { id status } errors { field message code } } }`;
const REVOKE_OTHERS = `mutation RevokeOtherSessions { revokeOtherSessions { revokedCount errors { field message code } } }`;
const SIGN_OUT = `mutation SignOut { signOut { session { status } errors { field message code } } }`;

let refreshPage = async () => {};

export async function showSessions() {
  const form = $("#sessions-form");
  const { viewer } = await gql(SESSIONS);
  if (!viewer) return refreshPage();
  const { totalCount, edges } = viewer.sessions;
  $("#sessions-caption").textContent = `${totalCount} active session${totalCount === 1 ? "" : "s"}`;
  $("#sessions-body").replaceChildren(...edges.map(({ node }) => el("tr", { "data-session-id": node.id },
    el("td", {}, node.userAgent ?? "unknown device",
      node.isCurrent ? el("strong", { class: "badge" }, "this device") : null,
      node.isImpersonation ? el("strong", { class: "badge warn" }, "support (impersonation)") : null),
    el("td", {}, node.ipAddress ?? ""),
    el("td", {}, when(node.createdAt)),
    el("td", {}, when(node.expiresAt)),
    el("td", {}, node.isCurrent ? "" : actionButton("Revoke", form, () => revoke(node), {
      "aria-label": `Revoke the session from ${node.userAgent ?? "an unknown device"}, signed in ${when(node.createdAt)}`,
    })),
  )));
}

async function revoke(node) {
  const payload = await mutate(REVOKE, { id: node.id });
  if (!payload.errors.length) {
    await showSessions();
    announce($("#sessions-result"), "That session is signed out.");
  }
  return payload;
}

export function setUpSessions(refresh) {
  refreshPage = refresh;
  const form = $("#sessions-form");
  onClick($("#refresh-sessions"), form, showSessions);
  onClick($("#revoke-others"), form, async () => {
    const payload = await mutate(REVOKE_OTHERS);
    if (!payload.errors.length) {
      await showSessions();
      announce($("#sessions-result"), `Signed out ${payload.revokedCount} other session${payload.revokedCount === 1 ? "" : "s"}.`);
    }
    return payload;
  });
  onClick($("#sign-out"), form, async () => {
    const payload = await mutate(SIGN_OUT);
    await refresh();
    announce($("#signed-out-result"), "You are signed out.");
    return payload;
  });
}
