// The pages the emails link to: /reset-password, /verify-email and /confirm-email, each with ?token=.
// None needs a sign-in: the token proves the address.
import { mutate } from "../api.js";
import { $, announce, el, onSubmit, reportError, show } from "../ui.js";

const RESET = `mutation ResetPassword($input: ResetPasswordInput!) {
  resetPassword(input: $input) { ok errors { field message code } }
}`;
const VERIFY = `mutation VerifyEmail($input: VerifyEmailInput!) {
  verifyEmail(input: $input) { user { email emailVerified } errors { field message code } }
}`;
const CONFIRM = `mutation ConfirmEmailChange($input: ConfirmEmailChangeInput!) {
  confirmEmailChange(input: $input) { user { email emailVerified } errors { field message code } }
}`;

/** Show the page for a link route; false when the route is not one of them. */
export function showLinkPage(route, token) {
  if (route === "/reset-password") {
    show($("#link-reset"), true);
    onSubmit($("#reset-form"), async ({ newPassword }) => {
      const payload = await mutate(RESET, { input: { token: token ?? "", newPassword } });
      if (payload.ok) {
        show($("#reset-form"), false);
        announce($("#reset-result"), "Your password is set, and every session was signed out. ",
          el("a", { href: "/" }, "Sign in"));
      }
      return payload;
    });
    return true;
  }
  const flows = {
    "/verify-email": [VERIFY, (user) => `${user.email} is verified. Thank you!`],
    "/confirm-email": [CONFIRM, (user) => `Your email is now ${user.email}.`],
  };
  if (!(route in flows)) return false;
  const [mutation, message] = flows[route];
  show($("#link-result"), true);
  const form = $("#link-form");
  mutate(mutation, { input: { token: token ?? "" } }).then((payload) => {
    if (payload.user) announce($("#link-message"), message(payload.user), " ", el("a", { href: "/" }, "Go to your account"));
    else reportError(form, { message: payload.errors[0].message, code: payload.errors[0].code });
  }, (error) => reportError(form, error));
  return true;
}
