// Two-factor set-up: password, then the QR code (an SVG from the API) and a code from the app, then the
// recovery codes, shown once. Turning it off needs the password and a code.
import { mutate } from "../api.js";
import { $, announce, el, onSubmit, show } from "../ui.js";

const BEGIN = `mutation BeginTwoFactorSetup($input: PasswordInput!) {
  beginTwoFactorSetup(input: $input) { secret qrCodeSvg errors { field message code } }
}`;
const CONFIRM = `mutation ConfirmTwoFactorSetup($input: TwoFactorCodeInput!) {
  confirmTwoFactorSetup(input: $input) { recoveryCodes errors { field message code } }
}`;
const DISABLE = `mutation DisableTwoFactor($input: DisableTwoFactorInput!) {
  disableTwoFactor(input: $input) { user { twoFactorEnabled } errors { field message code } }
}`;

export function showTwoFactor(viewer) {
  $("#two-factor-status").textContent = viewer.twoFactorEnabled
    ? "On: signing in asks for a code from your authenticator app."
    : "Off: add a code from an authenticator app to your password.";
  show($("#two-factor-begin-form"), !viewer.twoFactorEnabled);
  show($("#two-factor-confirm-form"), false);
  show($("#two-factor-disable-form"), viewer.twoFactorEnabled);
}

export function setUpTwoFactor(refresh) {
  onSubmit($("#two-factor-begin-form"), async ({ password }, form) => {
    const payload = await mutate(BEGIN, { input: { password } });
    if (payload.secret) {
      form.reset();
      show(form, false);
      // The SVG is the API's own (segno), not user input: safe to insert as markup.
      $("#two-factor-qr").innerHTML = payload.qrCodeSvg;
      $("#two-factor-qr svg")?.setAttribute("role", "img");
      $("#two-factor-qr svg")?.setAttribute("aria-label", "QR code for your authenticator app");
      $("#two-factor-secret").textContent = payload.secret;
      const confirm = $("#two-factor-confirm-form");
      show(confirm, true);
      confirm.elements.code.focus();
    }
    return payload;
  });

  onSubmit($("#two-factor-confirm-form"), async ({ code }, form) => {
    const payload = await mutate(CONFIRM, { input: { code: code.trim() } });
    if (payload.recoveryCodes) {
      form.reset();
      await refresh();
      announce($("#two-factor-result"),
        el("p", {}, "Two-factor sign-in is on. Keep these recovery codes somewhere safe: each works once, "
          + "and they are not shown again."),
        el("ul", { class: "codes" }, ...payload.recoveryCodes.map((recovery) => el("li", {}, el("code", {}, recovery)))));
    }
    return payload;
  });

  onSubmit($("#two-factor-disable-form"), async ({ password, code }, form) => {
    const payload = await mutate(DISABLE, { input: { password, code: code.trim() } });
    if (payload.user) {
      form.reset();
      await refresh();
      announce($("#two-factor-result"), "Two-factor sign-in is off.");
    }
    return payload;
  });
}
