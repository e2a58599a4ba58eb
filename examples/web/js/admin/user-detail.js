// One user: their fields, sessions and events, and the admin actions on them.
import { gql, mutate } from "../api.js";
import { $, actionButton, announce, el, onSubmit, show, when } from "../ui.js";
import { impersonate } from "./impersonation.js";

const USER = `query AdminUser($id: ID!) {
  user(id: $id) {
    id email name role isActive emailVerified twoFactorEnabled isBanned banReason banExpiresAt
    createdAt lastSignInAt
    sessions(first: 20, status: null) { totalCount edges { node {
      id status userAgent ipAddress createdAt expiresAt isImpersonation } } }
    securityEvents(first: 20) { edges { node { id type occurredAt actorKind actor { email } ipAddress } } }
  }
}`;
const PAYLOAD = "user { id } errors { field message code }";
const UPDATE = `mutation UpdateUser($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { ${PAYLOAD} } }`;
const BAN = `mutation BanUser($id: ID!, $input: BanUserInput!) { banUser(id: $id, input: $input) { ${PAYLOAD} } }`;
const UNBAN = `mutation UnbanUser($id: ID!) { unbanUser(id: $id) { ${PAYLOAD} } }`;
const RESET_TWO_FACTOR = `mutation ResetTwoFactor($id: ID!) { resetTwoFactor(userId: $id) { ${PAYLOAD} } }`;
const REVOKE = `mutation RevokeUserSessions($id: ID!) { revokeUserSessions(userId: $id) { revokedCount errors { field message code } } }`;
const DELETE = `mutation DeleteUser($id: ID!) { deleteUser(id: $id) { deletedUserId errors { field message code } } }`;

let current = null;
let changed = () => {};

export async function openUser(id) {
  const { user } = await gql(USER, { id });
  current = user;
  show($("#user-detail"), Boolean(user));
  if (!user) return;
  render(user);
  $("#detail-title").focus();
}

/** Run an admin mutation on the open user; on success reload them and the list, and say what happened. */
async function act(mutation, variables, message) {
  const payload = await mutate(mutation, { id: current.id, ...variables });
  if (payload.errors.length) return payload;
  if (mutation === DELETE) {
    show($("#user-detail"), false);
    await changed();
    announce($("#users-result"), message);
  } else {
    await Promise.all([changed(), openUser(current.id)]);
    announce($("#detail-result"), message);
  }
  return payload;
}

function render(user) {
  $("#detail-title").textContent = `${user.name} <${user.email}>`;
  const facts = {
    Role: user.role, Active: user.isActive ? "yes" : "no (deactivated)", "Email verified": user.emailVerified ? "yes" : "no",
    "Two-factor": user.twoFactorEnabled ? "on" : "off",
    Banned: user.isBanned ? `yes: ${user.banReason ?? "no reason given"}, until ${user.banExpiresAt ? when(user.banExpiresAt) : "lifted"}` : "no",
    Created: when(user.createdAt), "Last sign-in": when(user.lastSignInAt),
  };
  $("#detail-fields").replaceChildren(...Object.entries(facts).flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
  $("#role-form").elements.role.value = user.role;
  show($("#ban-form"), !user.isBanned);

  const form = $("#detail-form");
  const who = user.email;
  $("#detail-actions").replaceChildren(...[
    user.isActive
      ? actionButton("Deactivate", form, () => act(UPDATE, { input: { isActive: false } }, `${who} is deactivated and signed out everywhere.`), { class: "danger" })
      : actionButton("Reactivate", form, () => act(UPDATE, { input: { isActive: true } }, `${who} is active again.`)),
    user.isBanned ? actionButton("Unban", form, () => act(UNBAN, {}, `${who} is no longer banned.`)) : null,
    actionButton("Revoke all sessions", form, () => act(REVOKE, {}, `${who} is signed out everywhere.`)),
    user.twoFactorEnabled ? actionButton("Reset two-factor", form, () => act(RESET_TWO_FACTOR, {}, `Two-factor is off for ${who}.`)) : null,
    actionButton("Impersonate", form, () => impersonate(user.id)),
    actionButton("Delete", form, async () => {
      if (!confirm(`Delete ${who} and all their sessions? This cannot be undone.`)) return null;
      return act(DELETE, {}, `${who} is deleted.`);
    }, { class: "danger" }),
  ].filter(Boolean));

  $("#detail-sessions").replaceChildren(...user.sessions.edges.map(({ node }) => el("tr", {},
    el("td", {}, node.userAgent ?? "unknown", node.isImpersonation ? el("span", { class: "badge warn" }, "impersonation") : null),
    el("td", {}, node.ipAddress ?? ""), el("td", {}, node.status),
    el("td", {}, when(node.createdAt)), el("td", {}, when(node.expiresAt)))));
  $("#detail-events").replaceChildren(...user.securityEvents.edges.map(({ node }) => el("li", {},
    el("strong", {}, node.type), ` ${when(node.occurredAt)} by ${node.actor?.email ?? node.actorKind.toLowerCase()}`,
    node.ipAddress ? ` from ${node.ipAddress}` : "")));
}

export function setUpDetail({ onChange }) {
  changed = onChange;
  onSubmit($("#role-form"), ({ role }) => act(UPDATE, { input: { role } }, `${current.email} is now ${role}.`));
  onSubmit($("#ban-form"), ({ reason, expiresAt }) => act(BAN, {
    input: { reason: reason.trim() || null, expiresAt: expiresAt ? new Date(expiresAt).toISOString() : null },
  }, `${current.email} is banned and signed out everywhere.`));
}
