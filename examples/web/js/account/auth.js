// Signed out: sign in (with the second step when the account has two-factor on), sign up, forgot password.
import { mutate } from "../api.js";
import { $, actionButton, announce, onSubmit, show, showErrors } from "../ui.js";

const SIGN_IN = `mutation SignIn($input: SignInInput!) {
  signIn(input: $input) { token twoFactorChallenge errors { field message code } }
}`;
const VERIFY_TWO_FACTOR = `mutation VerifyTwoFactor($input: VerifyTwoFactorInput!) {
  verifyTwoFactor(input: $input) { token errors { field message code } }
}`;
const SIGN_UP = `mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { token user { id } errors { field message code } }
}`;
const RESEND = `mutation ResendVerification($email: String) {
  requestEmailVerification(email: $email) { ok errors { field message code } }
}`;
const REQUEST_RESET = `mutation RequestPasswordReset($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) { ok errors { field message code } }
}`;

// The challenge lives only in this variable, for the few minutes between the two steps.
let challenge = null;

export function setUpSignedOut(refresh) {
  const signInForm = $("#sign-in-form");
  const codeForm = $("#two-factor-form");

  onSubmit(signInForm, async ({ email, password }) => {
    const payload = await mutate(SIGN_IN, { input: { email, password } });
    if (payload.twoFactorChallenge) {
      challenge = payload.twoFactorChallenge;
      show(signInForm, false);
      show(codeForm, true);
      codeForm.elements.code.focus();
      return payload;
    }
    if (payload.token) await done(signInForm, refresh);
    if (payload.errors.some((error) => error.code === "EMAIL_NOT_VERIFIED")) {
      showErrors(signInForm, payload.errors);
      $(".errors", signInForm).append(actionButton("Send the verification link again", signInForm, async () => {
        const resent = await mutate(RESEND, { email });
        if (resent.ok) announce($("#signed-out-result"), `A new verification link is on its way to ${email}.`);
        return resent;
      }));
      return null;
    }
    return payload;
  });

  onSubmit(codeForm, async ({ code }) => {
    const payload = await mutate(VERIFY_TWO_FACTOR, { input: { challenge, code: code.trim() } });
    const ended = payload.errors.find((error) => error.field?.at(-1) === "challenge");
    if (ended) {
      // The challenge is over (expired or too many codes): back to the password.
      challenge = null;
      show(codeForm, false);
      show(signInForm, true);
      showErrors(signInForm, [{ ...ended, field: null, message: `${ended.message} Sign in again.` }]);
      return null;
    }
    if (payload.token) {
      challenge = null;
      show(codeForm, false);
      show(signInForm, true);
      await done(signInForm, refresh);
    }
    return payload;
  });

  onSubmit($("#sign-up-form"), async ({ name, email, password }) => {
    const payload = await mutate(SIGN_UP, { input: { name, email, password } });
    if (payload.token) await done($("#sign-up-form"), refresh);
    else if (payload.user) announce($("#signed-out-result"), "Account created: follow the link we emailed you, then sign in.");
    return payload;
  });

  onSubmit($("#forgot-form"), async ({ email }) => {
    const payload = await mutate(REQUEST_RESET, { input: { email } });
    if (payload.ok) announce($("#forgot-result"), `If an account uses ${email}, a reset link is on its way.`);
    return payload;
  });
}

async function done(form, refresh) {
  if (!(await refresh())) {
    // The API said yes, yet the next request is anonymous: the browser refused the cookie.
    showErrors(form, [{ code: "COOKIE_NOT_KEPT", message: "The API signed you in, but this browser did not "
      + "keep the session cookie: this page and the API are on different sites (see the README's "
      + "\"Same-site vs cross-site frontends\")." }]);
    return;
  }
  form.reset();
  announce($("#account-result"), "You are signed in.");
}
