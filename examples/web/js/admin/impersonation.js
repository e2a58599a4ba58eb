// Impersonation: the token impersonateUser returns lives in this module's variable only (never a
// cookie, never storage) and goes out as a bearer token; the admin's own cookie session is untouched.
import { gql, mutate } from "../api.js";
import { $, announce, onClick, show } from "../ui.js";

const IMPERSONATE = `mutation ImpersonateUser($id: ID!) {
  impersonateUser(id: $id) { token errors { field message code } }
}`;
const AS_USER = `query ImpersonatedViewer { viewer { email name sessions(first: 1) { totalCount } } }`;
const STOP = `mutation StopImpersonating { stopImpersonating { session { status } errors { field message code } } }`;

let asUser = null;

export async function impersonate(userId) {
  const payload = await mutate(IMPERSONATE, { id: userId });
  if (!payload.token) return payload;
  asUser = payload.token;
  // What the user sees, asked with their token (the bearer header wins over the admin's cookie).
  const { viewer } = await gql(AS_USER, {}, { token: asUser });
  show($("#impersonation"), true);
  announce($("#impersonation-who"), `Acting as ${viewer.name} <${viewer.email}>, who has `
    + `${viewer.sessions.totalCount} active session(s). Requests sent with this token are theirs; `
    + "the token is kept in this page's memory only.");
  return payload;
}

export function setUpImpersonation() {
  onClick($("#stop-impersonating"), $("#impersonation-form"), async () => {
    const payload = await mutate(STOP, {}, { token: asUser });
    asUser = null;
    show($("#impersonation"), false);
    return payload;
  });
}
